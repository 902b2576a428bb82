//! Geometry of map search: points, great-circle distance, viewports and geohash cells.
//!
//! The table has no Scan, so map search reads index partitions named by geohash cells: every
//! located property is written under its cell at each of [`INDEX_LEVELS`], and a query reads the
//! cells of [`cover`] for its box, then filters exactly with [`BBox::contains`] or
//! [`distance_km`]. Search is only correct if every point inside a box has its geohash among the
//! box's cells, so cell indices come from one function (`grid_index`) that both [`geohash`] and
//! [`cells`] use, and which is monotone and exact (no float rounding at cell edges).

use serde::{Deserialize, Serialize};

/// Geohash levels at which every located property is indexed, coarsest first.
pub const INDEX_LEVELS: [usize; 6] = [1, 2, 3, 4, 5, 6];
/// Most cells (index partitions) one map query touches, unless even the coarsest level needs more.
pub const MAX_CELLS: usize = 16;
/// Mean Earth radius in km (IUGG): 6371.0088.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Longest geohash this module builds: 60 bits, 30 per axis, still exact in `f64` bisection.
const MAX_PRECISION: usize = 12;
const BASE32: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
/// Slack added to [`BBox::around`] so float rounding never drops a point on the circle's rim
/// (1e-9 degrees is about 0.1 mm).
const AROUND_SLACK_DEG: f64 = 1e-9;

/// A location on Earth in degrees (WGS 84 latitude and longitude), as the API's `location`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Point {
    /// Latitude in degrees, -90..90.
    pub lat: f64,
    /// Longitude in degrees, -180..180.
    pub lng: f64,
}

impl Point {
    /// None unless both are finite and in range (lat -90..=90, lng -180..=180).
    pub fn new(lat: f64, lng: f64) -> Option<Point> {
        let ok = lat.is_finite() && lng.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng);
        ok.then_some(Point { lat, lng })
    }
}

/// Great-circle (haversine) distance in km.
pub fn distance_km(a: Point, b: Point) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let half_dlat = (lat2 - lat1) / 2.0;
    let half_dlng = (b.lng - a.lng).to_radians() / 2.0;
    let h = half_dlat.sin().powi(2) + lat1.cos() * lat2.cos() * half_dlng.sin().powi(2);
    // Rounding can push h a hair past 1 for antipodes, where asin would return NaN.
    2.0 * EARTH_RADIUS_KM * h.clamp(0.0, 1.0).sqrt().asin()
}

/// A lat/lng rectangle (a map viewport); `min_lng > max_lng` means it crosses the antimeridian.
///
/// It is a rectangle in coordinates, not on the sphere: a point at a pole is inside when its
/// stored longitude is, as that is the cell its geohash names.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BBox {
    /// Western edge; greater than `max_lng` when the box crosses the antimeridian.
    pub min_lng: f64,
    /// Southern edge.
    pub min_lat: f64,
    /// Eastern edge.
    pub max_lng: f64,
    /// Northern edge.
    pub max_lat: f64,
}

impl BBox {
    /// A box from the API's `minLng,minLat,maxLng,maxLat`; None unless every corner is a valid
    /// [`Point`] and `min_lat <= max_lat` (the side limit is the caller's, via [`Self::longer_side_km`]).
    pub fn new(min_lng: f64, min_lat: f64, max_lng: f64, max_lat: f64) -> Option<BBox> {
        Point::new(min_lat, min_lng)?;
        Point::new(max_lat, max_lng)?;
        (min_lat <= max_lat).then_some(BBox {
            min_lng,
            min_lat,
            max_lng,
            max_lat,
        })
    }

    /// Whether the box crosses the antimeridian (min_lng > max_lng).
    pub fn crosses_antimeridian(&self) -> bool {
        self.min_lng > self.max_lng
    }

    /// Whether p lies inside (edges included), antimeridian-aware. Longitude -180 and 180 are the same meridian.
    pub fn contains(&self, p: Point) -> bool {
        let lat_in = self.min_lat <= p.lat && p.lat <= self.max_lat;
        let lng_in = self.holds_lng(p.lng)
            || (p.lng == 180.0 && self.holds_lng(-180.0))
            || (p.lng == -180.0 && self.holds_lng(180.0));
        lat_in && lng_in
    }

    /// Length in km of the box's longer side: the height along a meridian, or the width along the parallel inside the box nearest the equator (the widest one), antimeridian-aware.
    pub fn longer_side_km(&self) -> f64 {
        self.height_km().max(self.width_km())
    }

    /// The smallest lat/lng box holding the circle of radius_km around center: latitudes clamped to ±90; when the circle holds a pole the longitudes are the full -180..180; when it crosses the antimeridian, min_lng > max_lng. Use the standard formula (Δlng = asin(sin(r/R)/cos(lat))).
    ///
    /// Each side is widened by 1e-9 degrees (0.1 mm) so that float rounding never leaves a
    /// point at exactly `radius_km` outside the box; a negative or NaN radius counts as 0.
    pub fn around(center: Point, radius_km: f64) -> BBox {
        let angle = radius_km.max(0.0) / EARTH_RADIUS_KM;
        let dlat = angle.to_degrees() + AROUND_SLACK_DEG;
        let (min_lat, max_lat) = (center.lat - dlat, center.lat + dlat);
        let holds_pole = min_lat <= -90.0 || max_lat >= 90.0;
        let (min_lat, max_lat) = (min_lat.max(-90.0), max_lat.min(90.0));
        let ratio = angle.sin() / center.lat.to_radians().cos();
        // Past the pole test, ratio < 1 in exact arithmetic; the guard covers rounding.
        if holds_pole || ratio.is_nan() || ratio >= 1.0 {
            return BBox {
                min_lng: -180.0,
                min_lat,
                max_lng: 180.0,
                max_lat,
            };
        }
        let dlng = ratio.asin().to_degrees() + AROUND_SLACK_DEG;
        let (mut min_lng, mut max_lng) = (center.lng - dlng, center.lng + dlng);
        if min_lng < -180.0 {
            min_lng += 360.0;
        }
        if max_lng > 180.0 {
            max_lng -= 360.0;
        }
        BBox {
            min_lng,
            min_lat,
            max_lng,
            max_lat,
        }
    }

    /// Whether a longitude lies in the box's longitude range, without the ±180 identity.
    fn holds_lng(&self, lng: f64) -> bool {
        if self.crosses_antimeridian() {
            lng >= self.min_lng || lng <= self.max_lng
        } else {
            self.min_lng <= lng && lng <= self.max_lng
        }
    }

    /// Height along a meridian.
    fn height_km(&self) -> f64 {
        (self.max_lat - self.min_lat).max(0.0).to_radians() * EARTH_RADIUS_KM
    }

    /// Width along the widest parallel inside the box (the one nearest the equator).
    fn width_km(&self) -> f64 {
        let span = if self.crosses_antimeridian() {
            self.max_lng + 360.0 - self.min_lng
        } else {
            self.max_lng - self.min_lng
        };
        let widest_lat = if self.min_lat <= 0.0 && 0.0 <= self.max_lat {
            0.0
        } else {
            self.min_lat.abs().min(self.max_lat.abs())
        };
        span.max(0.0).to_radians() * EARTH_RADIUS_KM * widest_lat.to_radians().cos()
    }
}

/// The geohash (standard base32 "0123456789bcdefghjkmnpqrstuvwxyz", interleaved lng/lat bits starting with lng) of p, `precision` characters (1..=12).
///
/// A precision outside 1..=12 is clamped into it, so a caller's slip costs precision, not a panic.
pub fn geohash(p: Point, precision: usize) -> String {
    let grid = Grid::at(precision);
    encode(grid, grid.col(p.lng), grid.row(p.lat))
}

/// Every geohash cell at `precision` that intersects `bbox` (sorted, no duplicates), or None if that would be more than `max` cells (compute the count from the grid index ranges BEFORE building strings, so a huge box at a fine level costs nothing). Work on integer cell-grid coordinates: at precision p there are ceil(5p/2) lng bits and floor(5p/2) lat bits; a box crossing the antimeridian is two lng ranges.
///
/// A precision outside 1..=12 is clamped into it, as in [`geohash`].
pub fn cells(bbox: &BBox, precision: usize, max: usize) -> Option<Vec<String>> {
    let grid = Grid::at(precision);
    let (row_lo, row_hi) = (grid.row(bbox.min_lat), grid.row(bbox.max_lat));
    let rows = if row_lo <= row_hi {
        u64::from(row_hi - row_lo) + 1
    } else {
        0
    };
    let cols = lng_ranges(bbox, grid);
    let col_count: u64 = cols.iter().map(|&(lo, hi)| u64::from(hi - lo) + 1).sum();
    // At most 2^30 rows times 2^30 columns: no overflow in u64.
    let count = rows * col_count;
    if count > u64::try_from(max).unwrap_or(u64::MAX) {
        return None;
    }
    let mut out = Vec::with_capacity(usize::try_from(count).ok()?);
    for &(lo, hi) in &cols {
        for col in lo..=hi {
            for row in row_lo..=row_hi {
                out.push(encode(grid, col, row));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// The cover a query uses: the finest level of INDEX_LEVELS whose cells for bbox are at most MAX_CELLS, else the coarsest level's cells (which are always few). Returns (level, cells).
///
/// Finest first, because a finer level reads less of what the box does not hold; counting
/// before building makes each refused level free.
pub fn cover(bbox: &BBox) -> (usize, Vec<String>) {
    for &level in INDEX_LEVELS.iter().rev() {
        if let Some(found) = cells(bbox, level, MAX_CELLS) {
            return (level, found);
        }
    }
    let coarsest = INDEX_LEVELS[0];
    // Level 1 has 32 cells in all, so an unbounded `max` stays small.
    (coarsest, cells(bbox, coarsest, usize::MAX).unwrap_or_default())
}

/// The integer cell grid of one geohash precision.
#[derive(Debug, Clone, Copy)]
struct Grid {
    precision: usize,
    lng_bits: u32,
    lat_bits: u32,
}

impl Grid {
    fn at(precision: usize) -> Grid {
        let precision = precision.clamp(1, MAX_PRECISION);
        // 5 * 12 = 60 bits at most: the casts cannot truncate.
        let bits = (5 * precision) as u32;
        Grid {
            precision,
            lng_bits: bits.div_ceil(2),
            lat_bits: bits / 2,
        }
    }

    fn col(self, lng: f64) -> u32 {
        grid_index(lng, -180.0, 180.0, self.lng_bits)
    }

    fn row(self, lat: f64) -> u32 {
        grid_index(lat, -90.0, 90.0, self.lat_bits)
    }

    fn last_col(self) -> u32 {
        (1 << self.lng_bits) - 1
    }
}

/// The cell index of `value` on a `bits`-bit grid over `lo..=hi`, by the bisection that defines
/// geohash: cells are half-open `[start, end)` except the last, which holds `hi` itself (lat 90,
/// lng 180), and values past either end clamp to the end cells. Every midpoint is a dyadic
/// fraction of the range, exact in `f64`, so the index is exact and monotone in `value`: a value
/// between two others never lands outside their cells. NaN maps to cell 0.
fn grid_index(value: f64, mut lo: f64, mut hi: f64, bits: u32) -> u32 {
    let mut index = 0;
    for _ in 0..bits {
        let mid = (lo + hi) / 2.0;
        index <<= 1;
        if value >= mid {
            index |= 1;
            lo = mid;
        } else {
            hi = mid;
        }
    }
    index
}

/// The box's column ranges, disjoint and ascending: two across the antimeridian, and the far
/// end column added when the box touches ±180 (a point stored at 180 lies in a box ending at
/// -180, and its geohash names the last column).
fn lng_ranges(bbox: &BBox, grid: Grid) -> Vec<(u32, u32)> {
    let (lo, hi, last) = (grid.col(bbox.min_lng), grid.col(bbox.max_lng), grid.last_col());
    let mut ranges = if bbox.crosses_antimeridian() {
        vec![(0, hi), (lo, last)]
    } else {
        let mut ranges = vec![(lo, hi)];
        if bbox.min_lng <= -180.0 {
            ranges.push((last, last));
        }
        if bbox.max_lng >= 180.0 {
            ranges.push((0, 0));
        }
        ranges
    };
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match merged.last_mut() {
            Some(prev) if lo <= prev.1.saturating_add(1) => prev.1 = prev.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    merged
}

/// The geohash string of a grid cell: lng and lat bits interleaved from the top, lng first.
fn encode(grid: Grid, col: u32, row: u32) -> String {
    let (mut lng_left, mut lat_left) = (grid.lng_bits, grid.lat_bits);
    let mut code: u64 = 0;
    for i in 0..grid.lng_bits + grid.lat_bits {
        let bit = if i % 2 == 0 {
            lng_left -= 1;
            (col >> lng_left) & 1
        } else {
            lat_left -= 1;
            (row >> lat_left) & 1
        };
        code = (code << 1) | u64::from(bit);
    }
    (0..grid.precision)
        .rev()
        .map(|char_at| char::from(BASE32[((code >> (5 * char_at)) & 31) as usize]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(lat: f64, lng: f64) -> Point {
        Point::new(lat, lng).unwrap()
    }

    fn close(actual: f64, expected: f64, tolerance: f64) {
        assert!(
            (actual - expected).abs() <= tolerance,
            "{actual} is not within {tolerance} of {expected}"
        );
    }

    /// xorshift64*: deterministic and crate-free.
    struct Rng(u64);

    impl Rng {
        fn unit(&mut self) -> f64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
        }

        fn range(&mut self, lo: f64, hi: f64) -> f64 {
            lo + self.unit() * (hi - lo)
        }
    }

    /// The point `km` from `from` on initial bearing `bearing_deg` (great circle).
    fn destination(from: Point, bearing_deg: f64, km: f64) -> Point {
        let (lat1, lng1) = (from.lat.to_radians(), from.lng.to_radians());
        let (d, theta) = (km / EARTH_RADIUS_KM, bearing_deg.to_radians());
        let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * theta.cos())
            .clamp(-1.0, 1.0)
            .asin();
        let lng2 = lng1 + (theta.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
        let lng2 = (lng2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0;
        pt(lat2.to_degrees().clamp(-90.0, 90.0), lng2.clamp(-180.0, 180.0))
    }

    /// A box whose longer side is `side_km`, centred on `center` (the API's viewport limit case).
    fn square(center: Point, side_km: f64) -> BBox {
        let dlat = (side_km / 2.0 / EARTH_RADIUS_KM).to_degrees();
        let (min_lat, max_lat) = ((center.lat - dlat).max(-90.0), (center.lat + dlat).min(90.0));
        let widest = if min_lat <= 0.0 && 0.0 <= max_lat {
            0.0
        } else {
            min_lat.abs().min(max_lat.abs())
        };
        let dlng = dlat / widest.to_radians().cos();
        let wrap = |lng: f64| {
            if lng > 180.0 {
                lng - 360.0
            } else if lng < -180.0 {
                lng + 360.0
            } else {
                lng
            }
        };
        BBox {
            min_lng: wrap(center.lng - dlng),
            min_lat,
            max_lng: wrap(center.lng + dlng),
            max_lat,
        }
    }

    /// The cells search reads for a box: its cover, then every index level small enough to list.
    struct Covers(Vec<(usize, Vec<String>)>);

    impl Covers {
        fn of(bbox: &BBox) -> Covers {
            let mut all = vec![cover(bbox)];
            all.extend(
                INDEX_LEVELS
                    .iter()
                    .filter_map(|&level| Some((level, cells(bbox, level, 4096)?))),
            );
            Covers(all)
        }

        /// Asserts the search property: p's geohash at each listed level is among the cells.
        fn assert_found(&self, bbox: &BBox, p: Point) {
            for (level, cells) in &self.0 {
                let hash = geohash(p, *level);
                assert!(
                    cells.binary_search(&hash).is_ok(),
                    "{p:?} ({hash}) not in level {level} of {bbox:?}"
                );
            }
        }
    }

    #[test]
    fn points_are_refused_out_of_range_or_not_finite() {
        assert!(Point::new(90.0, 180.0).is_some());
        assert!(Point::new(-90.0, -180.0).is_some());
        assert!(Point::new(90.000001, 0.0).is_none());
        assert!(Point::new(0.0, -180.000001).is_none());
        assert!(Point::new(f64::NAN, 0.0).is_none());
        assert!(Point::new(0.0, f64::INFINITY).is_none());
    }

    #[test]
    fn geohashes_match_known_values() {
        assert_eq!(geohash(pt(57.64911, 10.40744), 11), "u4pruydqqvj");
        assert_eq!(geohash(pt(0.0, 0.0), 5), "s0000");
        assert_eq!(geohash(pt(-90.0, -180.0), 5), "00000");
        assert_eq!(geohash(pt(90.0, 180.0), 5), "zzzzz");
        assert_eq!(geohash(pt(90.0, 180.0), 12), "zzzzzzzzzzzz");
        assert_eq!(geohash(pt(48.8584, 2.2945), 6), "u09tun");
        assert_eq!(geohash(pt(-65.81443605976779, 125.07614529740374), 12), "nu2cw4vej7vs");
        assert_eq!(
            geohash(pt(-0.8216843234506257, -18.183216676054286), 12),
            "7xg564rmk6fy"
        );
        assert_eq!(geohash(pt(-73.10527438063772, -169.79490845207772), 12), "05p205x4gv5g");
        // Just west of the prime meridian is the west cell, though -1e-20 + 180 rounds to 180:
        // cell indices come from exact bisection, not from scaling the coordinate.
        assert_eq!(geohash(pt(0.0, -1e-20), 5), "ebpbp");
        assert_eq!(geohash(pt(-1e-20, 0.0), 5), "kpbpb");
        // Out-of-range precisions clamp instead of panicking.
        assert_eq!(geohash(pt(0.0, 0.0), 0), "s");
        assert_eq!(geohash(pt(0.0, 0.0), 40).len(), 12);
        // A coarser geohash is a prefix of a finer one: index levels nest.
        let fine = geohash(pt(-33.8568, 151.2153), 12);
        for level in 1..12 {
            assert_eq!(geohash(pt(-33.8568, 151.2153), level), fine[..level]);
        }
    }

    #[test]
    fn distances_are_great_circle() {
        close(distance_km(pt(0.0, 0.0), pt(0.0, 1.0)), 111.195, 0.01);
        close(distance_km(pt(90.0, 0.0), pt(-90.0, 0.0)), 20015.09, 0.1);
        close(distance_km(pt(0.0, 179.9), pt(0.0, -179.9)), 22.24, 0.01);
        close(distance_km(pt(0.0, 0.0), pt(0.0, 180.0)), 20015.09, 0.1);
        assert_eq!(distance_km(pt(47.37, 8.54), pt(47.37, 8.54)), 0.0);
        // Every longitude at a pole is the same point.
        close(distance_km(pt(90.0, 0.0), pt(90.0, 120.0)), 0.0, 1e-9);
    }

    #[test]
    fn boxes_contain_their_points_edges_included() {
        let zurich = BBox::new(8.4, 47.3, 8.7, 47.5).unwrap();
        assert!(!zurich.crosses_antimeridian());
        assert!(zurich.contains(pt(47.37, 8.54)));
        assert!(zurich.contains(pt(47.3, 8.4)) && zurich.contains(pt(47.5, 8.7)));
        assert!(!zurich.contains(pt(47.51, 8.54)) && !zurich.contains(pt(47.37, 8.71)));

        let fiji = BBox::new(170.0, -20.0, -170.0, -10.0).unwrap();
        assert!(fiji.crosses_antimeridian());
        assert!(fiji.contains(pt(-15.0, 175.0)) && fiji.contains(pt(-15.0, -175.0)));
        assert!(fiji.contains(pt(-15.0, 180.0)) && fiji.contains(pt(-15.0, -180.0)));
        assert!(fiji.contains(pt(-10.0, 170.0)) && fiji.contains(pt(-20.0, -170.0)));
        assert!(!fiji.contains(pt(-15.0, 0.0)) && !fiji.contains(pt(-15.0, 169.9)));

        // -180 and 180 are one meridian.
        let east_edge = BBox::new(170.0, 0.0, 180.0, 10.0).unwrap();
        assert!(east_edge.contains(pt(5.0, -180.0)) && !east_edge.contains(pt(5.0, -179.0)));
        let west_edge = BBox::new(-180.0, 0.0, -170.0, 10.0).unwrap();
        assert!(west_edge.contains(pt(5.0, 180.0)) && !west_edge.contains(pt(5.0, 179.0)));

        let arctic = BBox::new(-180.0, 80.0, 180.0, 90.0).unwrap();
        assert!(arctic.contains(pt(90.0, 0.0)) && arctic.contains(pt(90.0, -180.0)));
        assert!(!arctic.contains(pt(79.9, 0.0)));
        let antarctic = BBox::new(-180.0, -90.0, 180.0, -80.0).unwrap();
        assert!(antarctic.contains(pt(-90.0, 45.0)) && !antarctic.contains(pt(90.0, 45.0)));

        assert!(BBox::new(0.0, 10.0, 1.0, 9.0).is_none());
        assert!(BBox::new(0.0, -91.0, 1.0, 9.0).is_none());
        assert!(BBox::new(0.0, 0.0, 181.0, 1.0).is_none());
    }

    #[test]
    fn boxes_around_circles_hold_them() {
        let equator = BBox::around(pt(0.0, 0.0), 111.195);
        close(equator.min_lat, -1.0, 1e-4);
        close(equator.max_lat, 1.0, 1e-4);
        close(equator.min_lng, -1.0, 1e-4);
        close(equator.max_lng, 1.0, 1e-4);

        let dateline = BBox::around(pt(-17.0, 179.9), 50.0);
        assert!(dateline.crosses_antimeridian());
        assert!(dateline.min_lng > 179.0 && dateline.max_lng < -179.0, "{dateline:?}");
        assert!(dateline.contains(pt(-17.0, -179.9)) && dateline.contains(pt(-17.0, 179.8)));
        let west = BBox::around(pt(10.0, -179.95), 20.0);
        assert!(west.crosses_antimeridian() && west.min_lng > 179.0);

        let full = |b: BBox| b.min_lng == -180.0 && b.max_lng == 180.0;
        let north = BBox::around(pt(90.0, 12.0), 10.0);
        assert!(full(north) && north.max_lat == 90.0, "{north:?}");
        close(north.min_lat, 90.0 - 10.0 / 111.195, 1e-4);
        let south = BBox::around(pt(-90.0, 0.0), 10.0);
        assert!(full(south) && south.min_lat == -90.0, "{south:?}");
        let near_pole = BBox::around(pt(89.5, 30.0), 100.0);
        assert!(full(near_pole) && near_pole.max_lat == 90.0, "{near_pole:?}");
        close(near_pole.min_lat, 89.5 - 100.0 / 111.195, 1e-3);
        // Near but short of the pole, the longitudes widen without going full.
        let high = BBox::around(pt(85.0, 0.0), 100.0);
        assert!(!full(high) && high.max_lat < 90.0 && high.max_lng > 9.0, "{high:?}");
    }

    #[test]
    fn circle_points_lie_in_the_box_around_and_in_its_cells() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut centers = vec![
            pt(0.0, 0.0),
            pt(0.0, 180.0),
            pt(0.0, -180.0),
            pt(90.0, 0.0),
            pt(-90.0, 77.0),
            pt(89.5, 179.0),
            pt(-89.9, -179.9),
            pt(47.37, 8.54),
        ];
        for _ in 0..200 {
            centers.push(pt(rng.range(-90.0, 90.0), rng.range(-180.0, 180.0)));
        }
        for center in centers {
            let radius = 0.1 * 1000f64.powf(rng.unit());
            let bbox = BBox::around(center, radius);
            let covers = Covers::of(&bbox);
            for k in 0..40 {
                // Exactly on the rim for a quarter of the points, where rounding bites.
                let km = if k % 4 == 0 { radius } else { radius * rng.unit() };
                let p = destination(center, rng.range(0.0, 360.0), km);
                assert!(distance_km(center, p) <= radius * (1.0 + 1e-9));
                assert!(bbox.contains(p), "{p:?} at {km} km from {center:?} not in {bbox:?}");
                covers.assert_found(&bbox, p);
            }
        }
    }

    #[test]
    fn every_point_in_a_box_is_in_its_cover() {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        let mut boxes = vec![
            BBox::new(-1.0, -1.0, 1.0, 1.0).unwrap(),
            BBox::new(0.0, 0.0, 0.001, 0.001).unwrap(),
            BBox::new(-0.001, -0.001, 0.0, 0.0).unwrap(),
            BBox::new(179.0, -5.0, -179.0, 5.0).unwrap(),
            BBox::new(179.99, 10.0, 180.0, 10.01).unwrap(),
            BBox::new(-180.0, 10.0, -179.99, 10.01).unwrap(),
            BBox::new(180.0, 0.0, -180.0, 1.0).unwrap(),
            BBox::new(-180.0, 89.0, 180.0, 90.0).unwrap(),
            BBox::new(-180.0, -90.0, 180.0, -89.0).unwrap(),
            BBox::new(10.0, 89.99, 10.01, 90.0).unwrap(),
            BBox::new(-180.0, -90.0, 180.0, 90.0).unwrap(),
            BBox::new(5.625, 45.0, 11.25, 50.625).unwrap(),
        ];
        for _ in 0..300 {
            let center = pt(rng.range(-90.0, 90.0), rng.range(-180.0, 180.0));
            boxes.push(BBox::around(center, 0.05 * 5000f64.powf(rng.unit())));
        }
        for bbox in boxes {
            let span = if bbox.crosses_antimeridian() {
                bbox.max_lng + 360.0 - bbox.min_lng
            } else {
                bbox.max_lng - bbox.min_lng
            };
            let mut points = vec![
                pt(bbox.min_lat, bbox.min_lng),
                pt(bbox.min_lat, bbox.max_lng),
                pt(bbox.max_lat, bbox.min_lng),
                pt(bbox.max_lat, bbox.max_lng),
            ];
            if bbox.contains(pt(bbox.min_lat, 180.0)) {
                points.push(pt(bbox.min_lat, 180.0));
                points.push(pt(bbox.max_lat, -180.0));
            }
            for _ in 0..60 {
                let lng = bbox.min_lng + rng.unit() * span;
                let lng = if lng > 180.0 { lng - 360.0 } else { lng };
                points.push(pt(rng.range(bbox.min_lat, bbox.max_lat), lng.clamp(-180.0, 180.0)));
            }
            let inside: Vec<Point> = points.into_iter().filter(|&p| bbox.contains(p)).collect();
            assert!(inside.len() >= 55, "too few sampled points inside {bbox:?}");
            let covers = Covers::of(&bbox);
            for p in inside {
                covers.assert_found(&bbox, p);
            }
            let (level, found) = cover(&bbox);
            assert!(
                found.len() <= MAX_CELLS || level == INDEX_LEVELS[0],
                "{bbox:?}: {} cells",
                found.len()
            );
        }
    }

    #[test]
    fn cells_are_exact_sorted_and_bounded() {
        let around_origin = BBox::new(-1.0, -1.0, 1.0, 1.0).unwrap();
        assert_eq!(cells(&around_origin, 1, 4).unwrap(), ["7", "e", "k", "s"]);
        assert_eq!(cells(&around_origin, 1, 3), None);
        // A box inside one cell but touching its upper edges also touches the next cells there.
        let in_u0 = BBox::new(0.0, 45.0, 11.25, 50.625).unwrap();
        assert_eq!(cells(&in_u0, 2, 16).unwrap(), ["u0", "u1", "u2", "u3"]);
        let dateline = BBox::new(179.0, 1.0, -179.0, 2.0).unwrap();
        assert_eq!(cells(&dateline, 1, 16).unwrap(), ["8", "x"]);
        // A box ending at 180 also holds the column at -180, where a point at -180 is hashed.
        let east_edge = BBox::new(170.0, 1.0, 180.0, 2.0).unwrap();
        assert!(cells(&east_edge, 3, 64).unwrap().contains(&geohash(pt(1.5, -180.0), 3)));
        // The whole world at level 12 is 2^60 cells: refused by counting, not by building.
        let world = BBox::new(-180.0, -90.0, 180.0, 90.0).unwrap();
        assert_eq!(cells(&world, 12, MAX_CELLS), None);
        assert_eq!(cells(&world, 1, 32).unwrap().len(), 32);
        let backwards = BBox {
            min_lng: 0.0,
            min_lat: 2.0,
            max_lng: 1.0,
            max_lat: 1.0,
        };
        assert_eq!(cells(&backwards, 3, 16).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn cover_picks_the_finest_level_within_the_cell_budget() {
        let tiny = square(pt(47.37, 8.54), 0.2);
        close(tiny.longer_side_km(), 0.2, 1e-9);
        let (level, found) = cover(&tiny);
        assert!(level == 6 && found.len() <= MAX_CELLS, "{level} {found:?}");

        let mut rng = Rng(0x1234_5678_9ABC_DEF1);
        for _ in 0..100 {
            let center = pt(rng.range(-60.0, 60.0), rng.range(-180.0, 180.0));
            let city = square(center, 20.0);
            close(city.longer_side_km(), 20.0, 1e-6);
            let (level, found) = cover(&city);
            assert!(
                (level == 4 || level == 5) && found.len() <= MAX_CELLS,
                "{city:?}: {level} {found:?}"
            );

            let region = square(center, 500.0);
            close(region.longer_side_km(), 500.0, 1e-6);
            let (level, found) = cover(&region);
            assert!(
                found.len() <= MAX_CELLS || level == INDEX_LEVELS[0],
                "{region:?}: {level} {found:?}"
            );
        }
        let polar = BBox::around(pt(89.9, 0.0), 100.0);
        assert_eq!(cover(&polar).0, 1);
    }

    #[test]
    fn box_sides_are_measured_where_widest() {
        let equator = BBox::new(0.0, 0.0, 1.0, 1.0).unwrap();
        close(equator.height_km(), 111.195, 0.01);
        close(equator.width_km(), 111.195, 0.01);
        close(equator.longer_side_km(), 111.195, 0.01);

        let sixty = BBox::new(0.0, 60.0, 1.0, 61.0).unwrap();
        close(sixty.height_km(), 111.195, 0.01);
        close(sixty.width_km(), 55.6, 0.01);
        close(sixty.longer_side_km(), 111.195, 0.01);
        let south = BBox::new(0.0, -61.0, 1.0, -60.0).unwrap();
        close(south.width_km(), 55.6, 0.01);
        let straddling = BBox::new(0.0, -10.0, 1.0, 60.0).unwrap();
        close(straddling.width_km(), 111.195, 0.01);

        let dateline = BBox::new(170.0, 0.0, -170.0, 1.0).unwrap();
        close(dateline.width_km(), 20.0 * 111.195, 0.1);
        close(dateline.longer_side_km(), 20.0 * 111.195, 0.1);
    }
}
