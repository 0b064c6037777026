# tests/model: reference suites
