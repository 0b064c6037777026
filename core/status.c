/* core/status.c: status names and the thread-local error message. */
#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char error_message[PAN_ERROR_MESSAGE_MAX];

const char *pan_status_name(pan_status status) {
    switch (status) {
    case PAN_OK: return "OK";
    case PAN_ERR_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case PAN_ERR_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case PAN_ERR_NOT_FOUND: return "NOT_FOUND";
    case PAN_ERR_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case PAN_ERR_UNIMPLEMENTED: return "UNIMPLEMENTED";
    case PAN_ERR_IO: return "IO";
    case PAN_ERR_DATA_LOSS: return "DATA_LOSS";
    case PAN_ERR_INTERNAL: return "INTERNAL";
    }
    return "UNKNOWN";
}

pan_status pan_error_set(pan_status status, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(error_message, sizeof error_message, fmt, args);
    va_end(args);
    return status;
}

const char *pan_error_message(void) { return error_message; }

void pan_error_clear(void) { error_message[0] = '\0'; }
