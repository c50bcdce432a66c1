//! test-host as a library, so integration tests and benchmarks can start the
//! mock router in process.

pub mod mock_router;
