"""pan: Python side of the pan world model.

pan.dataset reads and validates episode files written by `pan-data gen`
(format: docs/dataset.md); pan.view turns an episode into a GIF or a PNG
strip (`python3 -m pan.view EPISODE --gif out.gif`).
"""
