-- The peer of `GET /api/v1/parcels/{c}/{s}/{p}/report` for bench/peers.sh: the same question
-- asked of PostGIS in one function, as a PostGIS shop would write it. For the parcel with
-- these numbers: its identity and area; every zone of every plan it overlaps, with the
-- overlap in m² and % of the parcel, grouped by plan with the plan's coverage; every red line
-- crossing or within 30 m, with its distance and the parcel's area inside the line's corridor
-- (width / 2 each side). Tables and views come from the store (ogr2ogr) in bench/peers.sh:
-- `parcels`, `zones`, `redlines`, UNION ALL views over the layers, each with `geom` (WGS 84),
-- `gm` (a stored metric copy in UTM 48N, so areas and distances are planar as in our report,
-- which measures in the source's VN-2000 TM-3) and GiST indexes.
--
-- PL/pgSQL, so that each session plans the query once (an SQL function's body with CTEs is
-- planned again on every call: 1–3 ms here).
CREATE OR REPLACE FUNCTION planning_report(c text, s integer, p integer) RETURNS json
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
RETURN (WITH pa AS (
  SELECT layer, fid, commune_code, sheet, parcel, landuse, area_m2, geom, gm, ST_Area(gm) AS m_area
  FROM parcels WHERE commune_code = c AND sheet = s AND parcel = p LIMIT 1
), z AS (
  SELECT zn.layer, zn.fid, zn.plan_id, zn.zone_id, zn.landuse, zn.density_pct, zn.floors_min,
         zn.floors_max, zn.far, zn.height_m,
         ST_Area(ST_Intersection(zn.gm, pa.gm)) AS overlap_m2, pa.m_area
  FROM zones zn, pa WHERE ST_Intersects(zn.gm, pa.gm)
), r AS (
  SELECT rl.plan_id, rl.road_name, rl.width_m,
         ST_Intersects(rl.gm, pa.gm) AS crosses,
         ST_Distance(rl.gm, pa.gm) AS distance_m,
         CASE WHEN rl.width_m > 0
           THEN ST_Area(ST_Intersection(ST_Buffer(rl.gm, rl.width_m / 2), pa.gm)) ELSE 0 END
           AS area_in_road_m2
  FROM redlines rl, pa WHERE ST_DWithin(rl.gm, pa.gm, 30)
)
SELECT json_build_object(
  'site', (SELECT json_build_object('layer', layer, 'id', fid, 'commune_code', commune_code,
      'sheet', sheet, 'parcel', parcel, 'landuse', landuse, 'area_m2', m_area,
      'bbox', json_build_array(ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom))) FROM pa),
  'plans', (SELECT json_agg(json_build_object('plan_id', plan_id, 'coverage_pct', least(100, cov),
      'zones', zs, 'redlines', (SELECT json_agg(json_build_object('road_name', r.road_name,
        'width_m', r.width_m, 'crosses', r.crosses, 'distance_m', r.distance_m,
        'area_in_road_m2', r.area_in_road_m2) ORDER BY r.crosses DESC, r.distance_m) FROM r
        WHERE r.plan_id = g.plan_id)) ORDER BY plan_id)
    FROM (SELECT plan_id, 100 * sum(overlap_m2) / nullif(max(m_area), 0) AS cov,
            json_agg(json_build_object('layer', layer, 'id', fid, 'zone_id', zone_id,
              'landuse', landuse, 'overlap_m2', overlap_m2,
              'overlap_pct', 100 * overlap_m2 / nullif(m_area, 0),
              'density_pct', density_pct, 'floors_min', floors_min, 'floors_max', floors_max,
              'far', far, 'height_m', height_m) ORDER BY overlap_m2 DESC) AS zs
          FROM z GROUP BY plan_id) g)
));
END
$$;
