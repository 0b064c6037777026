"""pan.agents.goals: the structured goal families of env/task.h in Python
(docs/env.md "Structured goal families"): parsing info["task"], decoding a
ground-truth world's true-state latent, and the goals' predicates and
dense costs.

Contract
- parse_goal(text) reads the canonical text of any family, with an
  optional "latent: " prefix (Goal.latent): place "put the <c> <s> in the
  <place>", relation "the <c> <s> is next to / to the left of / to the
  right of / above / below the <c> <s>", group "all the <c> objects are
  together", line "the <c> <s>, the <c> <s> and the <c> <s> are in a
  row|column", landmark "the camera is at the <c> <s>". ValueError
  otherwise.
- decode_state(world, latent, width, height) turns the true-state vector
  (docs/worlds.md: tabletop 73 floats, rooms 103) into a State: tabletop
  objects {(colour, shape): (x, y, size)} in pixels; rooms the camera
  (cells) and the landmarks {(colour, shape): (x, y)}.
- holds(goal, state, width, height) and cost(...) follow env/task.h's
  definitions (pixels for tabletop; cells for rooms) in float64, so values
  within float32 rounding of a tolerance may differ from the C ones. The
  rooms cost here ignores walls (Python has no map): the Manhattan
  distance in cells from the camera to the goal's 5x5 square around the
  landmark (1 when inside it but in another room); the C cost is the path
  length through the map. cost is 0 exactly when holds is true.
- Pure Python; no server access.
"""

import math
import re

from pan.agents.tabletop import COLOURS, SHAPES, read_state

PLACES = ("top left corner", "top right corner", "bottom left corner",
          "bottom right corner", "top edge", "bottom edge", "left edge",
          "right edge", "centre")
RELATIONS = ("next to", "to the left of", "to the right of", "above", "below")
TOLERANCE = 1.5       # px, env/task.h PAN_TASK_TOLERANCE_PX
CONTACT = 1.0         # px, PAN_TASK_CONTACT_PX
ALIGN_CELLS = 0.5     # PAN_TASK_ALIGN_CELLS
GROUP_CELLS = 1.0     # PAN_TASK_GROUP_CELLS
LANDMARK_CELLS = 2.0  # PAN_TASK_LANDMARK_CELLS
MIN_COST = 1e-6


class Goal:
    """kind: place | relation | group | line | landmark; objects: the
    (colour, shape) pairs it names (group: none, see colour); place,
    relation (a RELATIONS entry), axis ("row"/"column"), colour (group)."""

    def __init__(self, kind, text, objects=(), place=None, relation=None,
                 axis=None, colour=None, latent=False):
        self.kind, self.text, self.objects = kind, text, tuple(objects)
        self.place, self.relation, self.axis = place, relation, axis
        self.colour = colour if colour is not None else (
            objects[0][0] if objects else None)
        self.latent = latent

    def __repr__(self):
        return f"Goal({self.kind!r}, {self.text!r})"


_OBJ = r"the (\w+) (\w+)"
_FORMS = [
    ("place", re.compile(rf"^put {_OBJ} in the ([a-z ]+)$")),
    ("relation", re.compile(
        rf"^{_OBJ} is (next to|to the left of|to the right of|left of|"
        rf"right of|above|below) {_OBJ}$")),
    ("group", re.compile(r"^all the (\w+) objects are together$")),
    ("line", re.compile(rf"^{_OBJ}, {_OBJ} and {_OBJ} are in a (row|column)$")),
    ("landmark", re.compile(rf"^the camera is at {_OBJ}$")),
]


def _pair(colour, shape, text):
    if colour not in COLOURS or shape not in SHAPES:
        raise ValueError(f"goal {text!r}: unknown object {colour} {shape}")
    return (colour, shape)


def parse_goal(text):
    raw = " ".join(text.strip().lower().split())
    latent = raw.startswith("latent: ")
    body = raw[len("latent: "):] if latent else raw
    body = body.rstrip(".")
    for kind, pattern in _FORMS:
        m = pattern.match(body)
        if not m:
            continue
        g = m.groups()
        if kind == "place":
            if g[2] not in PLACES:
                break
            return Goal(kind, body, [_pair(g[0], g[1], text)], place=g[2],
                        latent=latent)
        if kind == "relation":
            rel = {"left of": "to the left of",
                   "right of": "to the right of"}.get(g[2], g[2])
            objs = [_pair(g[0], g[1], text), _pair(g[3], g[4], text)]
            if objs[0] == objs[1]:
                break
            return Goal(kind, body, objs, relation=rel, latent=latent)
        if kind == "group":
            if g[0] not in COLOURS:
                break
            return Goal(kind, body, colour=g[0], latent=latent)
        if kind == "line":
            objs = [_pair(g[0], g[1], text), _pair(g[2], g[3], text),
                    _pair(g[4], g[5], text)]
            if len(set(objs)) != 3:
                break
            return Goal(kind, body, objs, axis=g[6], latent=latent)
        return Goal(kind, body, [_pair(g[0], g[1], text)], latent=latent)
    raise ValueError(f"goal {text!r}: expected a place or structured goal "
                     "(docs/env.md \"Structured goal families\")")


class State:
    """tabletop: objects {(colour, shape): (x, y, size)}; rooms: camera
    (x, y) in cells and landmarks {(colour, shape): (x, y)}."""

    def __init__(self, objects=None, camera=None, landmarks=None):
        self.objects = objects or {}
        self.camera = camera
        self.landmarks = landmarks or {}


def decode_state(world, latent, width=64, height=64):
    v = [float(x) for x in latent.reshape(-1)]
    if world == "tabletop":
        table = read_state(latent, width, height)
        return State(objects={k: tuple(o) for k, o in table.objects.items()})
    if len(v) != 103:
        raise ValueError(f"rooms state vector: expected 103 floats, found "
                         f"{len(v)}")
    marks = {}
    for i in range(int(v[6])):
        o = v[7 + 6 * i: 13 + 6 * i]
        marks[(COLOURS[int(o[2])], SHAPES[int(o[3])])] = (o[4], o[5])
    return State(camera=(v[0], v[1]), landmarks=marks)


def _geometry(width, height):
    cell = min(width, height) / 8.0
    rim = max(1, int(cell / 4.0))
    return cell, rim, rim, width - rim, height - rim


def _box_distance(box, x, y):
    x0, x1, y0, y1 = box
    ex = x0 - x if x < x0 else x - x1 if x > x1 else 0.0
    ey = y0 - y if y < y0 else y - y1 if y > y1 else 0.0
    return math.hypot(ex, ey)


def _relation_box(a, b, relation, align):
    s = a[2] + b[2]
    lo, hi = -CONTACT - TOLERANCE, -CONTACT + TOLERANCE
    if relation == "to the left of":
        return (b[0] - s + lo, b[0] - s + hi, b[1] - align, b[1] + align)
    if relation == "to the right of":
        return (b[0] + s - hi, b[0] + s - lo, b[1] - align, b[1] + align)
    if relation == "above":
        return (b[0] - align, b[0] + align, b[1] - s + lo, b[1] - s + hi)
    return (b[0] - align, b[0] + align, b[1] + s - hi, b[1] + s - lo)


def _evaluate(goal, state, width, height):
    """(holds, raw cost)."""
    cell, _, x0, x1, y1 = _geometry(width, height)
    y0 = x0
    missing = float(width + height)
    if goal.kind == "landmark":
        if goal.objects[0] not in state.landmarks or state.camera is None:
            return False, 1000.0
        (lx, ly), (cx, cy) = state.landmarks[goal.objects[0]], state.camera
        near = (max(0.0, abs(lx - cx) - LANDMARK_CELLS) +
                max(0.0, abs(ly - cy) - LANDMARK_CELLS))
        same = cx >= 0 and cy >= 0 and int(cx // 16) == int(lx // 16) and \
            int(cy // 16) == int(ly // 16)
        holds = near == 0.0 and same
        return holds, near if near > 0 else (0.0 if same else 1.0)
    objs = state.objects
    if goal.kind == "place":
        o = objs.get(goal.objects[0])
        if o is None:
            return False, missing
        x, y, s = o
        t = TOLERANCE
        d = {"left": (x - s) - x0, "right": x1 - (x + s),
             "top": (y - s) - y0, "bottom": y1 - (y + s)}
        if goal.place == "centre":
            dist = math.hypot(x - (x0 + x1) / 2.0, y - (y0 + y1) / 2.0)
            return dist <= t, max(0.0, dist - t)
        walls = [w for w in ("left", "right", "top", "bottom")
                 if w in goal.place]
        excess = [max(0.0, d[w] - t) for w in walls]
        return all(e == 0.0 for e in excess), math.hypot(*excess)
    if goal.kind == "relation":
        a, b = objs.get(goal.objects[0]), objs.get(goal.objects[1])
        if a is None or b is None:
            return False, missing
        if goal.relation != "next to":
            box = _relation_box(a, b, goal.relation, cell * ALIGN_CELLS)
            d = _box_distance(box, a[0], a[1])
            return d == 0.0, d
        align = (a[2] + b[2]) / 2.0
        d = min(_box_distance(_relation_box(a, b, r, align), a[0], a[1])
                for r in RELATIONS[1:])
        return d == 0.0, d
    if goal.kind == "group":
        same = [o for (c, _), o in sorted(objs.items()) if c == goal.colour]
        if len(same) < 2:
            return False, missing
        total = 0.0
        for i in range(len(same)):
            for j in range(i + 1, len(same)):
                a, b = same[i], same[j]
                e = a[2] + b[2]
                gap = max(abs(a[0] - b[0]) - e, abs(a[1] - b[1]) - e)
                total += max(0.0, gap - cell * GROUP_CELLS)
        return total == 0.0, total
    if goal.kind == "line":
        found = [objs.get(k) for k in goal.objects]
        if any(o is None for o in found):
            return False, missing
        axis = 1 if goal.axis == "row" else 0
        values = [o[axis] for o in found]
        spread = max(values) - min(values)
        return spread <= cell * ALIGN_CELLS, max(0.0, spread -
                                                 cell * ALIGN_CELLS)
    raise ValueError(f"goal kind {goal.kind!r} has no predicate")


def holds(goal, state, width=64, height=64):
    return _evaluate(goal, state, width, height)[0]


def cost(goal, state, width=64, height=64):
    ok, c = _evaluate(goal, state, width, height)
    return 0.0 if ok else max(c, MIN_COST)
