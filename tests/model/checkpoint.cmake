# tests/model: checkpoint suites
