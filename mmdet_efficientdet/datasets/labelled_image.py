"""One labelled image as a labelling tool wrote it (the converter's input)."""
from __future__ import annotations
from dataclasses import dataclass, field
from typing import List, Optional, Tuple


@dataclass
class LabelledImage:
    """One image and its boxes as the labelling tool wrote them.

    Attributes:
        file_name (str): Path relative to the image folder.
        size (tuple, optional): ``(width, height)`` the label file claims.
        boxes (list): ``(class name, x1, y1, x2, y2)``: pixels, or fractions
            of the image size with ``normalized`` (YOLO labels).
        source (str): The label file (xml, ``csv:line``, txt) for messages.
        normalized (bool): Boxes are fractions of the decoded image size.
    """
    file_name: str
    size: Optional[Tuple[int, int]]
    boxes: List[Tuple[str, float, float, float, float]] = field(default_factory=list)
    source: str = ''
    normalized: bool = False

    def pixel_boxes(self, width: int, height: int) -> List[Tuple[str, float, float, float, float]]:
        """The boxes in pixels of a ``width`` x ``height`` image.

        Example:
            >>> LabelledImage('a.jpg', None, [('car', .25, .5, .75, 1.)],
            ...               normalized=True).pixel_boxes(200, 100)
            [('car', 50.0, 50.0, 150.0, 100.0)]
        """
        if not self.normalized:
            return list(self.boxes)
        return [(label, x1 * width, y1 * height, x2 * width, y2 * height)
                for label, x1, y1, x2, y2 in self.boxes]
