//! Real-engine tests: see tests/run-all.sh.
