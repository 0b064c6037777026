"""pan.agents.tabletop: what a scripted tabletop agent knows: the true-state
vector, the goal text, and a small planner over directional moves.

Contract
- read_state(latent, width, height) decodes the tabletop true-state vector
  (docs/worlds.md "State vector (73 floats)": for p = colour * 3 + shape,
  [4p .. 4p+3] = visible, x / W, y / H, size / cell; [72] brightness) into a
  Table: the visible objects by (colour, shape) name, in pixels.
- parse_goal(text) reads a goal "put the <colour> <shape> in the <place>"
  (place: a corner "top left corner", an edge "top edge", or "centre") into
  ((colour, shape), place); ValueError otherwise.
- Planner(width, height).next_action(table, goal) returns the next action
  text, always a directional move "move the <colour> <shape> <dir> by <n>"
  (never the one-shot "move X to the <place>"), or None when the goal
  already holds. It predicts moves with a model of the world's physics
  (walls clamp; a mover stops 1 px before the first object whose bounding
  square lies in its lane, docs/worlds.md "Semantics"): first the target
  object alone, axis by axis (for the centre, via a wall so the cell-sized
  steps land exactly); else a weighted A* search over moves of every
  object (blockers out of the lane or out of the goal's square), capped at
  600 expansions, whose remaining moves are followed while the world
  matches the model. The caller re-plans after every step from the true
  state, so a model error costs a step, not the episode; an action that
  left the state unchanged is not repeated from that state.
- Success is the task's own test (env/task.h "place", tolerance 1.5 px).
- Pure Python and numpy; no server access; deterministic.
"""

import heapq
import itertools
import math
import re

COLOURS = ("red", "green", "blue", "yellow", "purple", "orange")
SHAPES = ("square", "circle", "triangle")
STATE_SIZE = 73
TOLERANCE = 1.5          # pixels (env/task.h PAN_TASK_TOLERANCE_PX)
MAX_CELLS = 20           # the grammar's distance limit
PLACES = {
    "top left corner": ("left", "top"), "top right corner": ("right", "top"),
    "bottom left corner": ("left", "bottom"),
    "bottom right corner": ("right", "bottom"),
    "top edge": (None, "top"), "bottom edge": (None, "bottom"),
    "left edge": ("left", None), "right edge": ("right", None),
    "centre": ("centre", "centre"),
}
DIRS = {"left": (0, -1), "right": (0, 1), "up": (1, -1), "down": (1, 1)}
_GOAL = re.compile(r"^put the (\w+) (\w+) in the ([a-z ]+)$")


class Table:
    """Visible objects {(colour, shape): [x, y, size]} in pixels."""

    def __init__(self, objects, brightness=1.0):
        self.objects = objects
        self.brightness = brightness

    def copy(self):
        return Table({k: list(v) for k, v in self.objects.items()},
                     self.brightness)


def read_state(latent, width, height):
    vec = [float(v) for v in latent.reshape(-1)]
    if len(vec) != STATE_SIZE:
        raise ValueError(f"tabletop state vector: expected {STATE_SIZE} "
                         f"floats, found {len(vec)}")
    cell = min(width, height) / 8.0
    objects = {}
    for c, colour in enumerate(COLOURS):
        for s, shape in enumerate(SHAPES):
            p = 4 * (c * 3 + s)
            if vec[p] > 0.5:
                objects[(colour, shape)] = [vec[p + 1] * width,
                                            vec[p + 2] * height,
                                            vec[p + 3] * cell]
    return Table(objects, vec[72])


def parse_goal(text):
    m = _GOAL.match(text.strip().lower())
    if not m or m.group(1) not in COLOURS or m.group(2) not in SHAPES \
            or m.group(3) not in PLACES:
        raise ValueError(f"goal: expected 'put the <colour> <shape> in the "
                         f"<place>' (places: {', '.join(PLACES)}), found "
                         f"{text!r}")
    return (m.group(1), m.group(2)), m.group(3)


def action_text(key, direction, cells):
    return f"move the {key[0]} {key[1]} {direction} by {cells}"


class Planner:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.cell = min(width, height) / 8.0
        self.rim = max(1, math.floor(self.cell / 4))
        self.size = (width, height)
        self.max_cells = min(MAX_CELLS, math.ceil(max(width, height) /
                                                  self.cell))
        self._last_sig, self._tried, self._path = None, [], None

    # -- the world's moves, modelled
    def _bounds(self, axis, s):
        return self.rim + s, self.size[axis] - self.rim - s

    def simulate(self, table, key, direction, cells):
        """Moves table's object `key` in place; returns the distance moved."""
        axis, sign = DIRS[direction]
        obj = table.objects[key]
        s = obj[2]
        lo, hi = self._bounds(axis, s)
        pos = obj[axis]
        target = min(max(pos + sign * cells * self.cell, lo), hi)
        other_axis = 1 - axis
        for k, o in table.objects.items():
            if k == key:
                continue
            gap = max(o[other_axis] - o[2] - (obj[other_axis] + s),
                      obj[other_axis] - s - (o[other_axis] + o[2]))
            if gap >= 1.0 - 1e-4:
                continue  # out of the lane: it can slide past
            if sign > 0 and o[axis] > pos:
                target = min(target, max(pos, o[axis] - o[2] - 1.0 - s))
            elif sign < 0 and o[axis] < pos:
                target = max(target, min(pos, o[axis] + o[2] + 1.0 + s))
        obj[axis] = target
        return abs(target - pos)

    def holds(self, table, key, place):
        """The task's success test (env/task.h "place")."""
        if key not in table.objects:
            return False
        x, y, s = table.objects[key]
        W, H, rim = self.width, self.height, self.rim
        if place == "centre":
            return math.hypot(x - W / 2.0, y - H / 2.0) <= TOLERANCE
        wall_x, wall_y = PLACES[place]
        ok = True
        if wall_x == "left":
            ok &= (x - s) - rim <= TOLERANCE
        elif wall_x == "right":
            ok &= (W - rim) - (x + s) <= TOLERANCE
        if wall_y == "top":
            ok &= (y - s) - rim <= TOLERANCE
        elif wall_y == "bottom":
            ok &= (H - rim) - (y + s) <= TOLERANCE
        return ok

    # -- plans for the target object alone
    def _cells(self, distance):
        return max(1, min(MAX_CELLS, math.ceil(distance / self.cell - 1e-6)))

    def _axis_options(self, table, key, axis, want):
        """Move sequences (lists of (dir, n)) bringing the axis to `want`
        (a wall name or "centre"); [[]] when nothing is needed."""
        pos, s = table.objects[key][axis], table.objects[key][2]
        lo, hi = self._bounds(axis, s)
        neg, pos_dir = ("left", "right") if axis == 0 else ("up", "down")
        if want in ("left", "top"):
            return [[]] if pos - lo <= TOLERANCE - 0.25 else \
                [[(neg, self._cells(pos - lo))]]
        if want in ("right", "bottom"):
            return [[]] if hi - pos <= TOLERANCE - 0.25 else \
                [[(pos_dir, self._cells(hi - pos))]]
        centre = self.size[axis] / 2.0
        d = centre - pos
        if abs(d) <= 1.0:
            return [[]]
        options = []
        k = round(abs(d) / self.cell)
        if k >= 1 and abs(abs(d) - k * self.cell) <= 1.0:
            options.append([(pos_dir if d > 0 else neg, k)])
        # via a wall: land on it, then whole cells back to the centre
        for wall, back, start in ((neg, pos_dir, lo), (pos_dir, neg, hi)):
            k = round(abs(centre - start) / self.cell)
            if k >= 1 and abs(abs(centre - start) - k * self.cell) <= 1.0:
                first = [] if abs(pos - start) < 1e-3 else \
                    [(wall, self._cells(abs(pos - start)))]
                options.append(first + [(back, k)])
        return options

    def _solo_plans(self, table, key, place):
        want_x, want_y = PLACES[place]
        xs = self._axis_options(table, key, 0, want_x) if want_x else [[]]
        ys = self._axis_options(table, key, 1, want_y) if want_y else [[]]
        plans = []
        for px, py in itertools.product(xs, ys):
            plans.append(px + py)
            if px and py:
                plans.append(py + px)
        plans.sort(key=len)
        return plans

    def _solve_solo(self, table, key, place):
        """The shortest plan of target moves that reaches the goal in the
        model (every move must move it; a plan may end early when the goal
        holds), or None."""
        best = None
        for plan in self._solo_plans(table, key, place):
            t = table.copy()
            for i, move in enumerate(plan):
                if self.simulate(t, key, *move) < 1e-3:
                    break
                if self.holds(t, key, place):
                    if best is None or i + 1 < len(best):
                        best = plan[:i + 1]
                    break
        return best

    # -- search over moves of every object (crowded tables)
    def _children(self, table):
        """(move, table after it) for each move of each object that changes
        the table; of the distances giving the same end, only the first."""
        for k in sorted(table.objects):
            for direction in DIRS:
                last = None
                for n in range(1, self.max_cells + 1):
                    t = table.copy()
                    if self.simulate(t, k, direction, n) < 1e-3:
                        break
                    end = tuple(t.objects[k][:2])
                    if end == last:
                        break  # clamped: longer moves end there too
                    last = end
                    yield (k, direction, n), t

    def _goal_box(self, place, s):
        """The square the target occupies at a corner or the centre, grown
        by 1 px (other objects there must leave); None for an edge."""
        wall_x, wall_y = PLACES[place]
        if wall_x is None or wall_y is None:
            return None
        box = []
        for axis, want in ((0, wall_x), (1, wall_y)):
            lo, hi = self._bounds(axis, s)
            c = {"left": lo, "top": lo, "right": hi, "bottom": hi,
                 "centre": self.size[axis] / 2.0}[want]
            box.append((c - s - 1.0, c + s + 1.0))
        return box

    def _h(self, table, key, place):
        """Moves still needed, roughly: target axes off their goal plus
        objects sitting in the goal's square."""
        obj = table.objects[key]
        need = 0
        for axis, want in zip((0, 1), PLACES[place]):
            if want is None:
                continue
            lo, hi = self._bounds(axis, obj[2])
            pos = obj[axis]
            if want in ("left", "top"):
                goal = lo
            elif want in ("right", "bottom"):
                goal = hi
            else:
                goal = self.size[axis] / 2.0
            if abs(goal - pos) <= 1.0:
                continue
            need += 1
            # one more when the straight move there is blocked
            t = table.copy()
            direction = ("left", "right", "up", "down")[
                2 * axis + (goal > pos)]
            self.simulate(t, key, direction, self._cells(abs(goal - pos)))
            if abs(t.objects[key][axis] - goal) > 1.0 and want != "centre":
                need += 1
        box = self._goal_box(place, obj[2])
        if box:
            for k, o in table.objects.items():
                if k != key and all(o[a] - o[2] < box[a][1] and
                                    o[a] + o[2] > box[a][0] for a in (0, 1)):
                    need += 1
        return need

    @staticmethod
    def _sig(table):
        return tuple(sorted((k, round(o[0], 3), round(o[1], 3))
                            for k, o in table.objects.items()))

    def _search(self, table, key, place, max_expansions=600):
        """Weighted A* over moves of every object; the list of (move,
        table after it) reaching the goal in the model, or None."""
        start = self._sig(table)
        nodes = {start: (None, None, table, 0)}  # parent, move, table, g
        heap = [(self._h(table, key, place), 0, 0, start)]
        counter = 0
        for _ in range(max_expansions):
            if not heap:
                break
            _, _, g, sig = heapq.heappop(heap)
            if nodes[sig][3] < g:
                continue  # reached again more cheaply
            for move, child in self._children(nodes[sig][2]):
                csig = self._sig(child)
                if csig in nodes and nodes[csig][3] <= g + 1:
                    continue
                nodes[csig] = (sig, move, child, g + 1)
                if self.holds(child, key, place):
                    path = []
                    while nodes[csig][0] is not None:
                        path.append((nodes[csig][1], nodes[csig][2]))
                        csig = nodes[csig][0]
                    return path[::-1]
                counter += 1
                heapq.heappush(heap, (g + 1 + 2 * self._h(child, key, place),
                                      counter, g + 1, csig))
        return None

    def next_action(self, table, goal):
        """The next action text, or None when the goal holds. An action
        that left the state unchanged (the model was wrong) is not sent
        again from that state: another move is tried instead."""
        sig = (goal, self._sig(table))
        if sig != self._last_sig:
            self._last_sig, self._tried = sig, []
        action = self._plan(table, goal)
        if action is not None and action in self._tried:
            key = goal[0]
            others = (action_text(k, d, n) for k in
                      sorted(table.objects, key=lambda k: (k != key, k))
                      for d in DIRS for n in (1, 2, 3))
            action = next((a for a in others if a not in self._tried), action)
        if action is not None:
            self._tried.append(action)
        return action

    def _plan(self, table, goal):
        key, place = goal
        if key not in table.objects:
            raise ValueError(f"goal object {key[0]} {key[1]} is not on the "
                             "table")
        if self.holds(table, key, place):
            self._path = None
            return None
        # the rest of a plan searched earlier, while the world follows the
        # model: entries (goal, move, the table expected before it)
        if self._path and self._path[0][0] == goal and \
                self._sig(self._path[0][2]) == self._sig(table):
            return action_text(*self._path.pop(0)[1])
        self._path = None
        solo = self._solve_solo(table, key, place)
        if solo:
            return action_text(key, *solo[0])
        path = self._search(table, key, place)
        if path:
            self._path = [(goal, path[i][0], path[i - 1][1])
                          for i in range(1, len(path))]
            return action_text(*path[0][0])
        # nothing found in the model: shake the target loose
        return action_text(key, "down" if table.objects[key][1] <
                           self.height / 2 else "up", 1)
