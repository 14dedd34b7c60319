"""Issue #8: the rerunnable benchmark (`make bench`, docs/performance.md). Not a test suite."""
