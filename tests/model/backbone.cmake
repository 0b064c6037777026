# tests/model: backbone suites
