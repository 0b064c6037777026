# tests/model: vision suites
