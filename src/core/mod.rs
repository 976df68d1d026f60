//! The node core: pure, sans-IO. It is growing into the `Node` that owns
//! membership, ownership, the timers, the per-group action locks and the
//! counters (docs/architecture.md). Today it holds the counters.

pub mod counters;
