// The help and FAQ page (#help), in Vietnamese and English: how to look up, what the
// land-use codes mean, what a red line is, the legal value of the answer, who to ask.
import { t, getLang } from './i18n.js';
import { esc } from './report.js';

const CONTENT = {
  vi: `
<h2>Tra cứu thế nào?</h2>
<ul>
  <li><strong>Theo số tờ, số thửa:</strong> gõ tên xã/phường, số tờ bản đồ và số thửa ghi trên Giấy chứng nhận, ví dụ “Vĩnh Thanh tờ 12 thửa 345”, hoặc chỉ “12/345” rồi chọn đúng xã trong danh sách gợi ý. Gõ không dấu cũng được.</li>
  <li><strong>Theo tên đường, địa danh:</strong> ví dụ “quang trung”, “vinh thanh van”.</li>
  <li><strong>Theo tọa độ trên sổ đỏ (VN-2000):</strong> gõ hai số X Y, ví dụ “1100165.11 566140.91”, rồi chọn tỉnh. Để vẽ cả thửa, vào <em>Công cụ → Nhập bảng tọa độ góc thửa</em> và dán bảng tọa độ.</li>
  <li><strong>Nhấn vào bản đồ:</strong> phóng to rồi nhấn vào thửa đất. Giữ phím Shift để chọn thêm thửa và xem báo cáo chung.</li>
</ul>
<h2>Câu trả lời “có bị ảnh hưởng không” nghĩa là gì?</h2>
<p>“Có ảnh hưởng” khi một quy hoạch <strong>có hiệu lực</strong> quy định mục đích sử dụng đất khác với hiện trạng, hoặc khi chỉ giới đường đỏ cắt qua khu đất. Báo cáo có <strong>một phần riêng cho mỗi quy hoạch</strong>: cấp quy hoạch, vai trò pháp lý (quy hoạch sử dụng đất quyết định đất được dùng và chuyển mục đích thế nào; quy hoạch xây dựng, đô thị quyết định được xây gì), văn bản phê duyệt, phần trăm diện tích thuộc từng loại đất quy hoạch, diện tích nằm trong chỉ giới đường đỏ và các chỉ tiêu xây dựng. Khi các quy hoạch có hiệu lực quy định khác nhau, câu trả lời nêu kết luận của từng quy hoạch. Dự thảo đang lấy ý kiến được trình bày riêng, chưa có giá trị pháp lý. Phần giao nhỏ hơn 2 m² hoặc 0,5% diện tích chỉ là sai lệch ranh giới giữa các bản đồ, không tính là thay đổi mục đích.</p>
<h2>Mã loại đất</h2>
<p>Mỗi loại đất có một mã ba chữ cái theo quy định về thống kê, kiểm kê đất đai (ví dụ ODT: đất ở tại đô thị, ONT: đất ở tại nông thôn, LUC: đất chuyên trồng lúa, CLN: đất trồng cây lâu năm, DGT: đất giao thông). Màu trên bản đồ theo màu quy ước của bản đồ quy hoạch sử dụng đất.</p>
{{codes}}
<h2>Chỉ giới đường đỏ là gì?</h2>
<p>Chỉ giới đường đỏ là đường ranh giới xác định trên bản đồ quy hoạch và ngoài thực địa, phân định phần đất được xây dựng công trình với phần đất dành cho đường giao thông hoặc hạ tầng kỹ thuật, không gian công cộng. Phần đất nằm trong chỉ giới đường đỏ sẽ dùng để mở đường; trên bản đồ nó là đường màu đỏ.</p>
<h2>Các chỉ tiêu xây dựng</h2>
<ul>
  <li><strong>Mật độ xây dựng</strong>: tỷ lệ diện tích chiếm đất của công trình trên diện tích lô đất. Ví dụ 60% trên 100 m² → được xây tối đa 60 m² mặt bằng.</li>
  <li><strong>Hệ số sử dụng đất</strong>: tổng diện tích sàn chia cho diện tích lô đất. Ví dụ 2,6 lần trên 100 m² → tổng sàn tối đa 260 m².</li>
  <li><strong>Tầng cao, chiều cao</strong>: số tầng tối thiểu–tối đa và chiều cao tối đa của công trình.</li>
</ul>
<h2>Giá trị pháp lý</h2>
<p>Thông tin trên trang chỉ để tham khảo. Căn cứ pháp lý là <strong>quyết định phê duyệt quy hoạch</strong> (số, ngày, cơ quan ban hành được ghi trong từng báo cáo) và hồ sơ quy hoạch kèm theo. Quy hoạch đánh dấu <em>Dự thảo</em> đang lấy ý kiến, chưa có giá trị pháp lý. Khi cần giấy tờ chính thức (mua bán, xin phép xây dựng), hãy đề nghị cơ quan có thẩm quyền cung cấp thông tin quy hoạch.</p>
<h2>Hỏi ai?</h2>
<p>Ủy ban nhân dân xã, phường nơi có đất (Phòng Kinh tế ở xã; Phòng Kinh tế, Hạ tầng và Đô thị ở phường) — nơi cung cấp thông tin quy hoạch chính thức, qua Bộ phận một cửa; ở cấp tỉnh: Sở Xây dựng (quy hoạch đô thị, quy hoạch xây dựng), Sở Nông nghiệp và Môi trường (quy hoạch, kế hoạch sử dụng đất). Từ ngày 1/7/2025 không còn cấp huyện: Phòng Quản lý đô thị và Phòng Tài nguyên và Môi trường của huyện không còn. Ý kiến góp ý về dự thảo quy hoạch gửi theo hướng dẫn trong thông báo lấy ý kiến.</p>
<h2>Tọa độ VN-2000 trên sổ đỏ</h2>
<p>Bảng tọa độ góc thửa dùng hệ VN-2000, múi chiếu 3° với kinh tuyến trục riêng của từng tỉnh. Theo quy ước Việt Nam, <strong>X là tọa độ Bắc</strong> (khoảng 1 000 000 – 2 600 000 m) và <strong>Y là tọa độ Đông</strong> (khoảng 400 000 – 700 000 m). Hãy chọn đúng tỉnh nơi cấp sổ.</p>
<h2>Dùng dữ liệu trong QGIS</h2>
<p>Trong bảng <em>Lớp bản đồ</em>, nút <strong>Mở trong QGIS</strong> tải về một dự án QGIS của vùng đang xem: các lớp thửa đất, vùng quy hoạch (tô màu theo mã loại đất), chỉ giới đường đỏ, ranh giới, đọc trực tiếp từ cổng. Dữ liệu cũng được cung cấp theo chuẩn mở OGC API – Features tại <a href="/ogc">/ogc</a> (trong QGIS: <em>Layer → Add Layer → Add WFS / OGC API – Features Layer</em>; với GDAL: <code>ogrinfo "OAPIF:địa-chỉ-cổng/ogc"</code>). Bài học <a href="#/learn/qgis-gdal">Dùng dữ liệu trong QGIS và GDAL</a> hướng dẫn từng bước. Báo cáo một thửa dạng văn bản: /api/v1/parcels/{mã xã}/{số tờ}/{số thửa}/report.txt.</p>
<h2>Học cách tra cứu</h2>
<p>Mục <a href="#/learn"><strong>Học</strong></a> có các bài học làm trực tiếp trên bản đồ: đọc bản đồ quy hoạch, tìm thửa đất, tọa độ VN-2000, thửa đất có bị quy hoạch không, chỉ tiêu xây dựng, QGIS và GDAL, chuẩn bị dữ liệu. Giảng viên có thể <a href="#/workshop">tổ chức buổi học</a> và theo dõi tiến độ của học viên. Tờ rơi <a href="/learn/leaflet.html">“Tra cứu quy hoạch trong 4 bước”</a> có mã QR của cổng, in được trên khổ A4.</p>
<h2>Thông tin cá nhân</h2>
<p>Trang không công bố tên chủ sử dụng đất hay bất kỳ thông tin cá nhân nào.</p>`,
  en: `
<h2>How do I look up my land?</h2>
<ul>
  <li><strong>By sheet and parcel number:</strong> type the commune, the map sheet number (số tờ) and the parcel number (số thửa) from the land-use certificate, e.g. “Vinh Thanh sheet 12 parcel 345”, or just “12/345” and pick the commune from the suggestions. Accents are optional.</li>
  <li><strong>By road or place name:</strong> e.g. “quang trung”.</li>
  <li><strong>By certificate coordinates (VN-2000):</strong> type X Y, e.g. “1100165.11 566140.91”, and choose the province. To draw the whole parcel, open <em>Tools → Enter a certificate’s corner table</em> and paste the table.</li>
  <li><strong>By clicking the map:</strong> zoom in and click the parcel. Hold Shift to add parcels to one combined report.</li>
</ul>
<h2>What does “affected” mean?</h2>
<p>“Affected” means a plan <strong>in force</strong> sets a land use different from the current one, or a red line crosses the site. The report has <strong>one section per plan</strong>: its level, its legal role (a land-use plan decides what the land may be used for and converted to; a construction or urban zoning plan decides what may be built), the approving document, the share of the site in each planned use, the area inside the red lines and the building indicators. Where plans in force disagree, the answer gives each plan’s verdict. Drafts out for consultation are shown apart and have no legal force. Overlaps under 2 m² or 0.5% of the area are edge mismatches between maps, not a change of use.</p>
<h2>Land-use codes</h2>
<p>Each land-use category has a three-letter code from the land statistics regulations (ODT urban residential, ONT rural residential, LUC specialised rice land, CLN perennial crops, DGT transport…). Map colours follow the conventional colours of land-use plan maps.</p>
{{codes}}
<h2>What is a red line?</h2>
<p>A red line (chỉ giới đường đỏ) is the boundary, fixed on the plan and on the ground, between land that may be built on and land reserved for roads, technical infrastructure or public space. Land inside the red lines will be taken for the road; on the map it is drawn in red.</p>
<h2>Building indicators</h2>
<ul>
  <li><strong>Building coverage</strong>: footprint as a share of the plot. 60% of 100 m² → a footprint of at most 60 m².</li>
  <li><strong>Floor area ratio</strong>: total floor area divided by the plot area. 2.6 on 100 m² → at most 260 m² of floors.</li>
  <li><strong>Floors and height</strong>: the minimum–maximum number of floors and the maximum height.</li>
</ul>
<h2>Legal value</h2>
<p>This site is for reference. The legal reference is the <strong>decision approving the plan</strong> (its number, date and authority are in every report) and its planning documents. Plans marked <em>Draft</em> are out for consultation and have no legal force. For an official answer (a sale, a building permit), ask the competent authority for planning information.</p>
<h2>Who do I ask?</h2>
<p>The People’s Committee of the commune or ward where the land lies (its Economic Office in a commune; its Office of Economy, Infrastructure and Urban Affairs in a ward), which gives official planning information through its one-stop desk; at the province: the Department of Construction (urban and construction plans) and the Department of Agriculture and Environment (land-use plans). Since 1 July 2025 there are no districts: the former district urban management and natural resources offices no longer exist. Comments on draft plans go where the consultation notice says.</p>
<h2>VN-2000 coordinates on a certificate</h2>
<p>Corner tables use VN-2000 in a 3° zone with each province’s own central meridian. In Vietnamese usage <strong>X is the northing</strong> (about 1,000,000–2,600,000 m) and <strong>Y the easting</strong> (about 400,000–700,000 m). Choose the province that issued the certificate.</p>
<h2>Using the data in QGIS</h2>
<p>In the <em>Layers</em> panel, <strong>Open in QGIS</strong> downloads a QGIS project of the current view: parcels, plan zones (coloured by land-use code), red lines and boundaries, read live from the portal. The data is also published with the open standard OGC API – Features at <a href="/ogc">/ogc</a> (in QGIS: <em>Layer → Add Layer → Add WFS / OGC API – Features Layer</em>; with GDAL: <code>ogrinfo "OAPIF:portal-address/ogc"</code>). The lesson <a href="#/learn/qgis-gdal">Using the data in QGIS and GDAL</a> goes through it step by step. A parcel’s text report: /api/v1/parcels/{commune}/{sheet}/{parcel}/report.txt.</p>
<h2>Learning to look up planning</h2>
<p><a href="#/learn"><strong>Learn</strong></a> has lessons done on the live map: reading a planning map, finding a parcel, VN-2000 coordinates, whether a parcel is affected, building indicators, QGIS and GDAL, preparing data. Trainers can <a href="#/workshop">run a workshop</a> and follow their trainees' progress. The leaflet <a href="/learn/leaflet.html?lang=en">“Look up planning in 4 steps”</a> carries the portal's QR code and prints on A4.</p>
<h2>Personal data</h2>
<p>Owners’ names and other personal data are never published here.</p>`,
};

export function showHelp(app, back) {
  const page = document.getElementById('help-page');
  const render = () => {
    const en = getLang() === 'en';
    const codes = `<table><thead><tr><th>Mã / Code</th><th>${en ? 'Land use' : 'Loại đất'}</th></tr></thead><tbody>${app.meta.codes
      .map((c) => `<tr><td><span class="swatch" style="background:${esc(c.color)}"></span><code>${esc(c.code)}</code></td><td>${esc(en ? c.name_en : c.name_vi)}</td></tr>`)
      .join('')}</tbody></table>`;
    page.innerHTML = `<div class="inner">
      <p><button type="button" class="btn" id="help-back">← ${esc(t('help.back'))}</button>
      <button type="button" class="btn" id="help-tour">${esc(t('help.tour'))}</button></p>
      <h1 id="help-title" tabindex="-1">${esc(t('help.title'))}</h1>
      ${CONTENT[getLang()].replace('{{codes}}', codes)}
      <p><button type="button" class="btn" id="help-back2">← ${esc(t('help.back'))}</button></p></div>`;
    page.querySelector('#help-back').addEventListener('click', back);
    page.querySelector('#help-back2').addEventListener('click', back);
    page.querySelector('#help-tour').addEventListener('click', () => {
      back();
      setTimeout(() => app.startTour(), 100);
    });
  };
  page.hidden = false;
  render();
  page._render = render;
  page.querySelector('#help-title').focus();
}

export function hideHelp() {
  const page = document.getElementById('help-page');
  page.hidden = true;
}

export function rerenderHelp() {
  const page = document.getElementById('help-page');
  if (!page.hidden) page._render?.();
}
