# Makes a ctest fail with a message: used where a test's prerequisite (python3) is missing, so that the
# test is reported as failed, never silently skipped.
message(FATAL_ERROR "${MSG}")
