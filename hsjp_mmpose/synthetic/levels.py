# Copyright (c) hsjp-mmpose contributors.
"""Named difficulty levels of the generated people.

Each level is a :class:`DataLevel`: the factors that make generated people hard to
localise, one field each, so that a calibration table can change one factor at a time
(``configs/hsjp/README.md`` holds it):

=================  ======================================================  ======  ======  ======
field              what it controls                                        easy    medium  hard
=================  ======================================================  ======  ======  ======
max_people         people per image (1-3)                                  1       2       3
clutter            number of background shapes and lines (x the default)   0.5     1       1
limb_distractors   background shapes include limb-like bars                False   False   True
occluders          occluding shapes over people (x the default)            0       0.5     1
hide_prob          chance that a person is covered completely              0       0.02    0.04
truncation_prob    chance that a person is cut by the image border         0       0.1     0.2
height_range       the first person's height / image height                .75-.95 .6-.95  .5-.95
max_yaw            turn away from the camera, degrees (180: any side)      60      60      180
back_share         share of people seen from behind (turned more than 90   0.2     0.2     0.2
                   degrees) where max_yaw allows it; the turn is uniform
                   within the front half and within the back half (0.5
                   with max_yaw 180: uniform over all sides). In photos
                   about one person in five shows their back
=================  ======================================================  ======  ======  ======

and the cues that tell a person's front from their back, and so their left from their right,
the way photos tell them (they survive a horizontal flip, unlike a colour per side):

=================  ======================================================  ======  ======  ======
field              what it draws                                           easy    medium  hard
=================  ======================================================  ======  ======  ======
face               a face on the front of the head: skin, eyes and brows,  True    True    True
                   nose, mouth (features >= 2 px at the 128x96 crop); in
                   profile it sits on the side the person faces and the
                   nose sticks out
hair               hair over the top and back of the head (long hair, or   True    True    True
                   a hood, hangs down the back), in a colour that stands
                   out from the skin
garment_front      a neckline and collar on the front of the shirt, often  True    True    True
                   a chest print or a button placket; the back is plain
head_scale         head size / an adult's (1: head height 1/7.9 of the     1       1       1
                   standing height, as in real people)
side_shading       the person's left parts lighter, right ones darker.     False   False   False
                   A shortcut that no photo has: with a horizontal flip
                   augmentation it is noise, and a network that used it
                   would not transfer. Off unless asked for.
=================  ======================================================  ======  ======  ======

``easy`` is for minutes-long CPU runs (the quickstart, the location-free benchmark): people
face the camera, fill the crop and are not covered. ``medium`` keeps them facing the camera
but puts them in full clutter, two to an image, partly covered or cut by the border: the
scene gets hard, the left/right question does not (at the calibration budget, turning
people further than 60 degrees costs more than all of medium's other factors together).
``hard`` (the generator's default) is for long runs: several people, limb-shaped clutter,
occluders, people turned any way (one in five seen from behind) and cut by the border.
"""
from dataclasses import asdict, dataclass, fields, replace
from typing import Dict, Mapping, Optional, Tuple, Union


_BOOL_FIELDS = ('limb_distractors', 'face', 'hair', 'garment_front', 'side_shading')


@dataclass(frozen=True)
class DataLevel:
    """The difficulty factors of the generated people (see the module docstring)."""

    max_people: int = 3
    clutter: float = 1.
    limb_distractors: bool = True
    occluders: float = 1.
    hide_prob: float = 0.04
    truncation_prob: float = 0.2
    height_range: Tuple[float, float] = (0.5, 0.95)
    max_yaw: float = 180.
    back_share: float = 0.2
    face: bool = True
    hair: bool = True
    garment_front: bool = True
    head_scale: float = 1.
    side_shading: bool = False

    def __post_init__(self) -> None:
        def bad(name, what):
            raise ValueError(f'data level: {name} must be {what}, got {getattr(self, name)!r}')

        if isinstance(self.max_people, bool) or self.max_people not in (1, 2, 3):
            bad('max_people', '1, 2 or 3')
        for name in ('clutter', 'occluders'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0 <= value <= 2:
                bad(name, 'a number in [0, 2] (0 none, 1 the default amount)')
        for name in ('hide_prob', 'truncation_prob', 'back_share'):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0 <= value <= 1:
                bad(name, 'a probability in [0, 1]')
        for name in _BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                bad(name, 'True or False')
        if isinstance(self.head_scale, bool) or not isinstance(self.head_scale, (int, float)) \
                or not 0.5 <= self.head_scale <= 2:
            bad('head_scale', 'a number in [0.5, 2] (1: the head of a real adult)')
        low_high = self.height_range
        if not (isinstance(low_high, (tuple, list)) and len(low_high) == 2
                and 0.1 <= low_high[0] <= low_high[1] <= 1.2):
            bad('height_range', '(low, high) with 0.1 <= low <= high <= 1.2')
        if isinstance(self.max_yaw, bool) or not isinstance(self.max_yaw, (int, float)) \
                or not 0 <= self.max_yaw <= 180:
            bad('max_yaw', 'degrees in [0, 180]')
        object.__setattr__(self, 'height_range', tuple(float(v) for v in low_high))

    def to_dict(self) -> dict:
        return asdict(self)


DATA_LEVELS: Dict[str, DataLevel] = dict(
    easy=DataLevel(max_people=1, clutter=0.5, limb_distractors=False, occluders=0.,
                   hide_prob=0., truncation_prob=0., height_range=(0.75, 0.95), max_yaw=60.),
    medium=DataLevel(max_people=2, clutter=1., limb_distractors=False, occluders=0.5,
                     hide_prob=0.02, truncation_prob=0.1, height_range=(0.6, 0.95),
                     max_yaw=60.),
    hard=DataLevel(),
)


def get_data_level(level: Union[str, DataLevel, Mapping] = 'hard',
                   overrides: Optional[Mapping] = None) -> DataLevel:
    """A :class:`DataLevel` from a name (``'easy'``, ``'medium'``, ``'hard'``), a level, or
    a dict of fields (with an optional ``base`` name), with ``overrides`` applied."""
    if isinstance(level, Mapping):
        level = dict(level)
        base = get_data_level(level.pop('base', 'hard'))
        return get_data_level(base, {**level, **(overrides or {})})
    if isinstance(level, str):
        if level not in DATA_LEVELS:
            raise ValueError(f'unknown data level {level!r}; choose one of '
                             f'{", ".join(DATA_LEVELS)}')
        level = DATA_LEVELS[level]
    if not isinstance(level, DataLevel):
        raise ValueError(f'level must be a name ({", ".join(DATA_LEVELS)}), a DataLevel or a '
                         f'dict of its fields, got {level!r}')
    if overrides:
        known = {f.name for f in fields(DataLevel)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f'unknown data level field(s) {unknown}; the fields are '
                             f'{sorted(known)}')
        level = replace(level, **overrides)
    return level


def parse_level_overrides(items) -> dict:
    """``['occluders=1', 'limb_distractors=true', 'height_range=0.5,0.95']`` -> a dict of
    typed values (for command lines)."""
    types = {f.name: f.type for f in fields(DataLevel)}
    out = {}
    for item in items or ():
        name, sep, text = item.partition('=')
        name = name.strip()
        if not sep or name not in types:
            raise ValueError(f'level option {item!r}: expected NAME=VALUE with NAME one of '
                             f'{sorted(types)}')
        text = text.strip()
        if name in _BOOL_FIELDS:
            if text.lower() not in ('true', 'false', '1', '0'):
                raise ValueError(f'level option {item!r}: use true or false')
            out[name] = text.lower() in ('true', '1')
        elif name == 'height_range':
            try:
                out[name] = tuple(float(v) for v in text.split(','))
            except ValueError:
                raise ValueError(f'level option {item!r}: use LOW,HIGH, e.g. 0.5,0.95') from None
        elif name == 'max_people':
            try:
                out[name] = int(text)
            except ValueError:
                raise ValueError(f'level option {item!r}: use 1, 2 or 3') from None
        else:
            try:
                out[name] = float(text)
            except ValueError:
                raise ValueError(f'level option {item!r}: expected a number') from None
    return out
