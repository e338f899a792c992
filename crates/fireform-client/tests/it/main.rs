//! Integration tests against the emulator.
