/* env/rooms/rooms_render.c: the camera window over the painted map.
 *
 * A frame is a plain copy of a W x H window of the painted map image, so it
 * depends only on (seed, window origin): the same place always gives the
 * same bytes. Pixels outside the map are black. No allocation.
 */
#include <string.h>

#include "env/rooms/rooms.h"

int rooms_view_origin(int cam, int frame_size) {
    return ROOMS_CELL_PX * cam + ROOMS_CELL_PX / 2 - frame_size / 2;
}

void rooms_render_window(const rooms_world *rw, int width, int height, int ox,
                         int oy, uint8_t *frame) {
    /* Columns [x0, x1) of the frame fall inside the map. */
    int x0 = ox < 0 ? -ox : 0;
    int x1 = ROOMS_MAP_PX - ox < width ? ROOMS_MAP_PX - ox : width;
    if (x1 < x0) x1 = x0;
    for (int j = 0; j < height; j++) {
        uint8_t *row = frame + (size_t)j * (size_t)width * 3;
        int wy = oy + j;
        if (wy < 0 || wy >= ROOMS_MAP_PX || x1 == x0) {
            memset(row, 0, (size_t)width * 3);
            continue;
        }
        if (x0 > 0) memset(row, 0, (size_t)x0 * 3);
        memcpy(row + (size_t)x0 * 3,
               rw->image + ((size_t)wy * ROOMS_MAP_PX + (size_t)(ox + x0)) * 3,
               (size_t)(x1 - x0) * 3);
        if (x1 < width)
            memset(row + (size_t)x1 * 3, 0, (size_t)(width - x1) * 3);
    }
}

bool rooms_landmark_visible(const rooms_landmark *l, int width, int height,
                            int ox, int oy) {
    int left = l->x0 * ROOMS_CELL_PX - ox;
    int top = l->y0 * ROOMS_CELL_PX - oy;
    return left >= 1 && top >= 1 && left + ROOMS_LANDMARK_PX <= width - 1 &&
           top + ROOMS_LANDMARK_PX <= height - 1;
}
