"""Chart and map pictures, decoded with Pillow: the map draws each area in its fill, with
its holes, in its true shape (``dashboard.exports.pictures``)."""

from __future__ import annotations

import io

from PIL import Image

from dashboard.exports import MapPicture
from dashboard.exports.pictures import DPI, chart_png, map_png
from dashboard.maps import PALETTE
from tests.unit.test_exports import partner_view, square, ward_map

BUSIEST = PALETTE[4]


def seen(rgb: tuple[int, int, int], alpha: int = 190) -> tuple[int, int, int]:
    """The colour a fill of ``alpha`` makes over white."""
    a = alpha / 255
    r, g, b = (round(c * a + 255 * (1 - a)) for c in rgb)
    return r, g, b


def pixels_like(png: bytes, rgb: tuple[int, int, int]) -> list[tuple[int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    data = image.load()
    assert data is not None
    return [
        (x, y)
        for y in range(0, height, 2)
        for x in range(0, width, 2)
        if all(abs(c - e) <= 3 for c, e in zip(_rgb(data[x, y]), rgb, strict=True))
    ]


def _rgb(pixel: float | tuple[int, ...]) -> tuple[int, ...]:
    assert isinstance(pixel, tuple)  # an RGB image's pixels are (r, g, b)
    return pixel


def test_each_area_is_drawn_in_its_fill() -> None:
    """Both squares' colours cover a good part of the picture (a legend box alone would
    not)."""
    picture = map_png(ward_map())
    assert picture.png.startswith(b"\x89PNG")
    total = picture.width * picture.height / 4
    for fill in (PALETTE[4], PALETTE[0]):
        assert len(pixels_like(picture.png, seen(fill))) > 0.1 * total


def test_areas_keep_their_shape_at_their_latitude() -> None:
    """A square of 0.02 degrees of longitude by 0.012 of latitude at 53.4° N is about as
    wide as tall on the ground (cos 53.4° = 0.6), so on the picture too."""
    one = MapPicture(
        "One", {"type": "FeatureCollection", "features": [square(-3.04, 53.38, BUSIEST, "w")]}, ()
    )
    points = pixels_like(map_png(one).png, seen(BUSIEST))
    xs, ys = [x for x, _ in points], [y for _, y in points]
    assert 0.95 < (max(xs) - min(xs)) / (max(ys) - min(ys)) < 1.05


def test_a_hole_stays_empty_whichever_way_it_winds() -> None:
    """A polygon with a hole of a quarter of its area, its rings wound alike, is drawn
    with three quarters of the full square's colour."""
    outer = [[0.0, 53.0], [0.02, 53.0], [0.02, 53.012], [0.0, 53.012], [0.0, 53.0]]
    hole = [[0.005, 53.003], [0.015, 53.003], [0.015, 53.009], [0.005, 53.009], [0.005, 53.003]]

    def drawn(rings: list[list[list[float]]]) -> int:
        feature = {
            "type": "Feature",
            "geometry": {"type": "MultiPolygon", "coordinates": [rings]},
            "properties": {"fill": [*BUSIEST, 255]},
        }
        one = MapPicture("One", {"type": "FeatureCollection", "features": [feature]}, ())
        return len(pixels_like(map_png(one).png, BUSIEST))

    assert 0.65 < drawn([outer, hole]) / drawn([outer]) < 0.85


def test_charts_are_pictures_at_150_dpi() -> None:
    """Each chart spec of the partner's view gives a PNG sized for print at 150 dpi."""
    view = partner_view()
    pictures = [chart_png(data) for t in view.typed() if (data := view.chart_data(t))]
    assert len(pictures) == 2
    for picture in pictures:
        image = Image.open(io.BytesIO(picture.png))
        assert round(image.info["dpi"][0]) == DPI
        assert image.size == (picture.width, picture.height)
        assert 7 * DPI < picture.width < 9 * DPI  # 8 in wide, cropped to its content
