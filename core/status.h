/* core/status.h: status codes and error messages for all of pan.
 *
 * Contract
 * - Every fallible function returns pan_status: PAN_OK (0) or a negative
 *   code. Library code never calls exit() or abort() on bad input.
 * - On failure the callee records a human-readable message with
 *   pan_error_set(); read it with pan_error_message(). The message says what
 *   was expected, what was found and where (op, tensor, field, file).
 * - The message buffer is thread-local: each thread sees the message of its
 *   own last failure. A success does not clear it.
 * - Codes mirror the protocol's error codes (docs/protocol.md) so that a
 *   server can forward them unchanged.
 */
#ifndef PAN_CORE_STATUS_H
#define PAN_CORE_STATUS_H

typedef enum pan_status {
    PAN_OK = 0,
    PAN_ERR_INVALID_ARGUMENT = -1,   /* bad shape, dtype, value, text */
    PAN_ERR_FAILED_PRECONDITION = -2,/* object not in the right state */
    PAN_ERR_NOT_FOUND = -3,          /* unknown name, id, file */
    PAN_ERR_RESOURCE_EXHAUSTED = -4, /* out of memory, arena full, limit hit */
    PAN_ERR_UNIMPLEMENTED = -5,      /* op or feature not supported here */
    PAN_ERR_IO = -6,                 /* read/write/mmap failed */
    PAN_ERR_DATA_LOSS = -7,          /* corrupt or truncated data */
    PAN_ERR_INTERNAL = -8,           /* a library we call failed */
} pan_status;

/* Upper-case name of a code ("INVALID_ARGUMENT"); "UNKNOWN" for others. */
const char *pan_status_name(pan_status status);

/* Records a printf-style message for this thread and returns `status`, so
 * that `return pan_error_set(PAN_ERR_INVALID_ARGUMENT, "...", ...);` works.
 * Messages longer than PAN_ERROR_MESSAGE_MAX-1 bytes are truncated. */
#define PAN_ERROR_MESSAGE_MAX 512
pan_status pan_error_set(pan_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The last message recorded on this thread ("" if none). */
const char *pan_error_message(void);

/* Clears this thread's message (tests use it to check that a call set one). */
void pan_error_clear(void);

#endif
