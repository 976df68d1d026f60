//! Two-node simulator (filled below).
