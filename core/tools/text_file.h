/* core/tools/text_file.h: a whole text file in memory (the tools' JSON
 * configuration files).
 *
 * Contract: pan_text_file_read(path) returns the file's bytes,
 * NUL-terminated, malloc'd (the caller frees); NULL with NOT_FOUND (cannot
 * open, naming the path and the reason), IO (a read error) or
 * RESOURCE_EXHAUSTED set (pan_error_message). Thread safety: pure.
 */
#ifndef PAN_CORE_TOOLS_TEXT_FILE_H
#define PAN_CORE_TOOLS_TEXT_FILE_H

char *pan_text_file_read(const char *path);

#endif
