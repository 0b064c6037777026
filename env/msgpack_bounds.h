/* env/msgpack_bounds.h: the declared-length pre-scan of a msgpack object,
 * run on untrusted bytes before msgpack-c sees them.
 *
 * Contract
 * - msgpack-c trusts the counts and lengths it reads and allocates for
 *   them before checking that the elements exist; a 5-byte array32 header
 *   claiming 4 billion elements would make it allocate ~100 GB. This walk
 *   checks every declared length against the bytes present first, without
 *   building anything, so that what msgpack-c allocates afterwards is
 *   O(len).
 * - pan_msgpack_check_bounds accepts exactly one msgpack object spanning
 *   data[0, len): every str/bin/ext length fits the bytes left, every
 *   array/map count is at most the bytes left (each element takes at least
 *   one byte), containers nest at most `max_depth` deep (1 = a flat
 *   container of scalars; a max_depth outside 1..PAN_MSGPACK_DEPTH_LIMIT
 *   means PAN_MSGPACK_DEPTH_LIMIT), no 0xc1 byte, no trailing bytes.
 * - On the first violation it returns false and writes "at byte N: ..."
 *   (what was declared, what is there) into err (err_size bytes, always
 *   NUL-terminated when err_size > 0).
 * - Users: the episode reader (env/dataset) and the protocol codec
 *   (env/protocol.h).
 * - Pure function, no allocation, thread-safe.
 */
#ifndef PAN_ENV_MSGPACK_BOUNDS_H
#define PAN_ENV_MSGPACK_BOUNDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAN_MSGPACK_DEPTH_LIMIT 64

bool pan_msgpack_check_bounds(const uint8_t *data, size_t len, int max_depth,
                              char *err, size_t err_size);

#endif
