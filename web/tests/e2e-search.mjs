// Chromium, desktop and phone: the search box finds a parcel or place the way people write
// it — the certificate's wording, "parcel/sheet", English, a house address, a hamlet, the
// commune office, a typo, a pre-2025 commune name — and a VN-2000 point typed with the wrong
// province gets the province that puts it on its parcel, with a button that goes there.
// Targets are picked through the API at run time from the demo store.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { startSite, launch, REPO, steps } from './harness.mjs';

const SHOTS = path.join(REPO, 'target/e2e-screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
const T = 20_000;

const site = await startSite({ parcels: Number(process.env.E2E_PARCELS || 3000) });
console.log(`site ${site.url}`);
const { step, finish } = steps();
const consoleErrors = [];


const api = async (p) => {
  const r = await fetch(site.api + p);
  if (!r.ok) throw new Error(`${p}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
};
const fold = (s) => s.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();

// ------------------------------------------------------------------ targets, from the API
const communes = (await api('/ogc/collections/communes/items?limit=100')).features.map((f) => f.properties);
const communeName = Object.fromEntries(communes.map((c) => [c.code, c.name]));
const parcels = [];
for (let offset = 0; parcels.length < 3000; offset += 1000) {
  const page = await api(`/ogc/collections/parcels/items?limit=1000&offset=${offset}`);
  parcels.push(...page.features);
  if (page.features.length < 1000) break;
}
const props = (f) => f.properties;
// A house on a named street of the first commune ("223 30 Tháng 4, Vĩnh Thanh").
const house = parcels.map(props).find((p) => /^\d+ [^,]+, [^,]+$/.test(p.address || '') && communeName[p.commune_code] && p.address.endsWith(communeName[p.commune_code]));
assert.ok(house, 'no parcel with a house address in the demo store');
const [houseNo, street] = [house.address.split(' ')[0], house.address.split(',')[0].split(' ').slice(1).join(' ')];
const cname = communeName[house.commune_code];
// A hamlet ("Ấp 5, Vĩnh Thanh Vân"): the address's hamlet segment.
const hamletParcel = parcels.map(props).find((p) => /(^|, )(Ấp|ấp) \d+,/.test(p.address || ''));
assert.ok(hamletParcel, 'no parcel with a hamlet in the demo store');
const hamletRaw = hamletParcel.address.split(',').map((s) => s.trim()).find((s) => /^(Ấp|ấp) /.test(s));
const hamlet = hamletRaw[0].toUpperCase() + hamletRaw.slice(1);
const hamletQuery = fold(`${hamlet} ${communeName[hamletParcel.commune_code]}`);
const office = communes.find((c) => c.name !== cname) || communes[0];
console.log(`targets: ${house.commune_code}/${house.sheet}/${house.parcel} "${house.address}"; hamlet "${hamlet}" of ${communeName[hamletParcel.commune_code]}; office of ${office.name}`);

const target = house;
const want = `Thửa ${target.parcel}, tờ ${target.sheet}`;
const phrasings = [
  [`thửa đất số ${target.parcel}, tờ bản đồ số ${target.sheet}`, want],
  [`thửa đất số ${target.parcel}, tờ bản đồ số ${target.sheet}, xã ${cname}`, want],
  [`${target.parcel}/${target.sheet}`, want],
  [`${fold(cname)} sheet ${target.sheet} parcel ${target.parcel}`, want],
  [`parcel ${target.parcel} sheet ${target.sheet}`, want],
  [`${houseNo} ${fold(street)}`, house.address],
  [hamletQuery, `${hamlet}, ${communeName[hamletParcel.commune_code]}`],
  [`ubnd xa ${fold(office.name)}`, office.name],
  [fold(cname).replace(/thanh/, 'tahnh'), cname],
];

// The wrong province: the parcel's centre as VN-2000 on Kiên Giang's meridian (104.5°), typed
// with An Giang picked (104.75°).
const fc = await api(`/api/v1/parcels/${house.commune_code}/${house.sheet}/${house.parcel}`);
const ring = fc.features[0].geometry.coordinates[0][0];
const c0 = ring.slice(0, -1).reduce((a, p) => [a[0] + p[0] / (ring.length - 1), a[1] + p[1] / (ring.length - 1)], [0, 0]);
const xy = await api(`/api/v1/convert?lon=${c0[0]}&lat=${c0[1]}&to=vn2000:kien-giang`);

await step('API: a VN-2000 point read as An Giang finds no parcel and suggests Kiên Giang with the parcel', async () => {
  const r = await api(`/api/v1/parcels/at?northing=${xy.northing}&easting=${xy.easting}&srs=vn2000:an-giang`);
  assert.equal(r.numberReturned, 0);
  assert.ok(r.suggestions?.length, 'no suggestions');
  const s = r.suggestions[0];
  assert.equal(s.meridian, 104.5);
  assert.equal(s.parcel, `${house.commune_code}/${house.sheet}/${house.parcel}`);
  assert.ok(Math.abs(s.lon - c0[0]) < 1e-5 && Math.abs(s.lat - c0[1]) < 1e-5, `${s.lon},${s.lat} vs ${c0}`);
  const right = await api(`/api/v1/parcels/at?northing=${xy.northing}&easting=${xy.easting}&srs=vn2000:kien-giang`);
  assert.equal(right.numberReturned, 1);
  assert.equal(right.suggestions, undefined);
});

await step('API: the old commune Vĩnh Hòa Phú finds the new commune Bình An (An Giang)', async () => {
  for (const q of ['vinh hoa phu', 'xã Vĩnh Hòa Phú, huyện Châu Thành, tỉnh Kiên Giang']) {
    const r = await api(`/api/v1/search?q=${encodeURIComponent(q)}&limit=5`);
    const h = r.hits[0];
    assert.ok(h, `${q}: no hit`);
    assert.match(h.label, /Bình An/, q);
    assert.equal(h.note, 'Vĩnh Hòa Phú (trước 1/7/2025) → nay là xã Bình An, tỉnh An Giang');
    const [w, s, e, n] = h.bbox;
    assert.ok(w < 105.135 && e > 105.135 && s < 9.889 && n > 9.889, `bbox ${h.bbox}`);
  }
});

for (const [device, viewport] of [
  ['desktop', { width: 1280, height: 800 }],
  ['phone', { width: 390, height: 844 }],
]) {
  const { context, close } = await launch({ viewport });
  const page = await context.newPage();
  page.on('pageerror', (e) => consoleErrors.push(`[${device}] ${e.message}`));
  await page.goto(site.url + '/');
  await page.waitForSelector('#search-input', { timeout: 60_000 });

  const typed = async (q, expect) => {
    await page.fill('#search-input', '');
    await page.fill('#search-input', q);
    await page.waitForFunction(
      (e) => document.querySelector('#search-list li[data-i="0"]')?.textContent.includes(e),
      expect,
      { timeout: T },
    );
  };

  for (const [q, expect] of phrasings) {
    await step(`${device}: "${q}" → first hit "${expect}"`, async () => typed(q, expect));
  }

  await step(`${device}: "${target.parcel}/${target.sheet}" opens the parcel (certificate reading first)`, async () => {
    await typed(`${target.parcel}/${target.sheet} ${fold(cname)}`, want);
    await page.click('#search-list li[data-i="0"]');
    await page.waitForFunction((p) => location.search.endsWith(p), `?p=${house.commune_code}/${house.sheet}/${house.parcel}`, { timeout: T });
    await page.screenshot({ path: path.join(SHOTS, `search-${device}-slash.png`) });
  });

  await step(`${device}: the house address opens its parcel`, async () => {
    await typed(`${houseNo} ${fold(street)}`, house.address);
    await page.locator('#search-list li[data-i]', { hasText: house.address }).first().click();
    await page.waitForFunction((p) => location.search.endsWith(p), `?p=${house.commune_code}/${house.sheet}/${house.parcel}`, { timeout: T });
  });

  await step(`${device}: "vinh hoa phu" → Bình An with its note, and the map goes there`, async () => {
    await typed('vinh hoa phu', 'Bình An');
    const text = await page.textContent('#search-list li[data-i="0"]');
    assert.match(text, /nay là xã Bình An, tỉnh An Giang/);
    await page.click('#search-list li[data-i="0"]');
    await page.waitForFunction(() => {
      const m = window.quyhoach?.mapView?.map;
      if (!m) return false;
      const c = m.getCenter();
      return Math.abs(c.lng - 105.135) < 0.03 && Math.abs(c.lat - 9.889) < 0.03;
    }, null, { timeout: T });
    await page.screenshot({ path: path.join(SHOTS, `search-${device}-old-name.png`) });
  });

  await step(`${device}: VN-2000 X Y with the wrong province → suggestion → its button opens the parcel`, async () => {
    await page.fill('#search-input', '');
    await page.fill('#search-input', `${xy.northing} ${xy.easting}`);
    await page.waitForSelector('#province-select:not([hidden])', { timeout: T });
    await page.selectOption('#province-select', 'an-giang');
    await page.waitForFunction(() => document.querySelector('#search-list li[data-i="0"]')?.textContent.includes('An Giang'), null, { timeout: T });
    await page.click('#search-list li[data-i="0"]');
    await page.waitForSelector('#search-suggest:not([hidden])', { timeout: T });
    const text = await page.textContent('#search-suggest');
    assert.match(text, /Không có thửa đất ở đây\. Có phải toạ độ theo tỉnh Kiên Giang \(kinh tuyến trục 104,5°\)\?/);
    await page.screenshot({ path: path.join(SHOTS, `search-${device}-wrong-province.png`) });
    await page.click('#search-suggest button');
    await page.waitForFunction((p) => location.search.endsWith(p), `?p=${house.commune_code}/${house.sheet}/${house.parcel}`, { timeout: T });
    assert.equal(await page.inputValue('#province-select'), 'kien-giang');
    assert.ok(await page.isHidden('#search-suggest'));
  });

  await close();
}

site.close();
if (consoleErrors.length) console.log(`page errors:\n  ${consoleErrors.join('\n  ')}`);
finish(consoleErrors.length ? 1 : 0);
