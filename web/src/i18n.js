// Every visible string of the app, in Vietnamese (the default) and English.
// `t(key, params)` looks a string up in the current language; `{name}` placeholders are
// filled from params. Elements carry `data-i18n="key"` (text) and
// `data-i18n-attr="attr:key;attr2:key2"` (attributes) and are refreshed by `applyI18n`.

const STRINGS = {
  vi: {
    'app.title': 'Tra cứu thông tin quy hoạch',
    'app.short': 'Tra cứu quy hoạch',
    'app.skip': 'Bỏ qua, tới ô tìm kiếm',
    'app.noscript': 'Trang bản đồ cần JavaScript. Tra cứu bằng văn bản: /api/v1/parcels/{mã xã}/{số tờ}/{số thửa}/report.html',
    'lang.switch': 'English',
    'lang.switch.label': 'Switch to English',
    'search.label': 'Tìm thửa đất, địa danh, tuyến đường hoặc tọa độ',
    'search.placeholder': 'VD: Vĩnh Thanh tờ 12 thửa 345, 12/345, tên đường, X Y',
    'search.button': 'Tìm',
    'search.none': 'Không tìm thấy “{q}”. Thử: tên xã + số tờ + số thửa (VD: Vĩnh Thanh tờ 12 thửa 345), “12/345”, tên đường không dấu, hoặc tọa độ X Y (VN-2000).',
    'search.empty': 'Nhập nội dung cần tìm.',
    'search.error': 'Không tìm được: {msg}',
    'search.vn2000': 'Tọa độ VN-2000: X (Bắc) = {x}, Y (Đông) = {y} — tỉnh {province}',
    'search.lonlat': 'Kinh độ {lon}, vĩ độ {lat} (WGS 84)',
    'search.province': 'Tỉnh/thành (hệ VN-2000)',
    'search.kind.parcel': 'Thửa đất',
    'search.kind.commune': 'Xã/phường',
    'search.kind.road': 'Đường',
    'search.kind.plan': 'Quy hoạch',
    'search.kind.point': 'Tọa độ',
    'nav.layers': 'Lớp bản đồ',
    'nav.tools': 'Công cụ',
    'nav.help': 'Hướng dẫn',
    'nav.report': 'Kết quả',
    'nav.menu': 'Các chức năng',
    'map.label': 'Bản đồ quy hoạch. Nhấn vào bản đồ để xem thông tin thửa đất; với bàn phím: phím mũi tên để di chuyển, + và − để phóng to thu nhỏ, Enter để xem thửa đất ở giữa bản đồ.',
    'map.loading': 'Đang tải bản đồ…',
    'map.failed': 'Không tải được bản đồ ({msg}). Vẫn có thể tìm kiếm và xem báo cáo.',
    'map.nowebgl': 'Trình duyệt không hiển thị được bản đồ (thiếu WebGL). Vẫn có thể tìm kiếm và xem báo cáo dạng văn bản.',
    'map.fallback': 'Máy chủ chưa có lớp tile: đang hiển thị dữ liệu trực tiếp (chậm hơn).',
    'panel.close': 'Đóng',
    'loading': 'Đang tải…',
    'error.generic': 'Có lỗi: {msg}',
    'error.network': 'Không kết nối được máy chủ. Kiểm tra mạng và thử lại.',
    'click.none': 'Không có thửa đất nào tại điểm này.',
    'click.hint': 'Nhấn vào một thửa đất trên bản đồ, hoặc tìm theo số tờ, số thửa.',
    'report.title': 'Thông tin quy hoạch',
    'report.loading': 'Đang lập báo cáo quy hoạch…',
    'report.affected.yes': 'Có ảnh hưởng',
    'report.affected.no': 'Không bị ảnh hưởng',
    'report.question': 'Đất của tôi có bị ảnh hưởng bởi quy hoạch không?',
    'report.site': 'Khu đất',
    'report.parcel': 'Thửa {parcel}, tờ bản đồ {sheet}',
    'report.commune': 'Xã/phường',
    'report.address': 'Địa chỉ',
    'report.area': 'Diện tích',
    'report.area.declared': 'diện tích kê khai {a}',
    'report.drawn': 'Khu đất đã vẽ',
    'report.multi': '{n} thửa đất đã chọn',
    'report.current': 'Hiện trạng sử dụng đất',
    'report.planned': 'Quy hoạch',
    'report.none.current': 'Chưa có thông tin hiện trạng.',
    'report.noplans': 'Không có quy hoạch nào trong dữ liệu phủ lên khu đất này.',
    'report.zone': 'Ô quy hoạch',
    'report.landuse': 'Loại đất',
    'report.share': 'Tỷ lệ',
    'report.overlap': 'Diện tích',
    'report.same': 'giữ như hiện trạng',
    'report.changed': 'thay đổi so với hiện trạng',
    'report.coverage': 'Quy hoạch phủ {pct} khu đất',
    'report.indicators': 'Chỉ tiêu',
    'report.density': 'Mật độ xây dựng tối đa {v}%',
    'report.floors': 'Tầng cao {v}',
    'report.far': 'Hệ số sử dụng đất {v} lần',
    'report.height': 'Chiều cao tối đa {v} m',
    'report.footprint': 'Được xây tối đa {v} diện tích chiếm đất',
    'report.floorarea': 'Tổng diện tích sàn tối đa {v}',
    'report.redlines': 'Chỉ giới đường đỏ',
    'report.redline.cross': 'Đường {road} (lộ giới {w} m) cắt qua khu đất: {a} ({pct}) nằm trong phạm vi mở đường.',
    'report.redline.near': 'Đường {road} (lộ giới {w} m) cách khu đất {d} m, không cắt qua.',
    'report.redline.method.dgt_zones': 'tính theo ô đất giao thông của quy hoạch',
    'report.redline.method.buffer': 'tính theo một nửa lộ giới hai bên tim đường',
    'report.road.unnamed': 'chưa đặt tên',
    'report.decision': 'Quyết định {number} ngày {date} của {authority}',
    'report.level': 'Cấp quy hoạch',
    'report.status': 'Tình trạng',
    'report.draft': 'DỰ THẢO — chưa có giá trị pháp lý',
    'report.datadate': 'Dữ liệu cập nhật: {date}',
    'report.generated': 'Lập lúc {date}',
    'report.source': 'Căn cứ',
    'report.actions': 'Thao tác với báo cáo',
    'report.textonly': 'Bản văn bản (không cần JavaScript)',
    'report.print': 'In khổ A4',
    'report.share.btn': 'Chia sẻ',
    'report.read': 'Đọc to',
    'report.read.stop': 'Dừng đọc',
    'speech.plan': '{name}, {status}, được phê duyệt tại {decision}.',
    'speech.draft': 'Dự thảo chưa có giá trị pháp lý.',
    'speech.zone': '{name} chiếm {pct} diện tích.',
    'report.export.json': 'Tải JSON',
    'report.export.csv': 'Tải CSV',
    'report.export.geojson': 'Tải ranh khu đất (GeoJSON)',
    'report.multi.hint': 'Giữ Shift và nhấn để chọn thêm thửa, rồi lập một báo cáo chung.',
    'report.multi.btn': 'Báo cáo chung cho {n} thửa',
    'report.multi.clear': 'Bỏ chọn',
    'report.error': 'Không lập được báo cáo: {msg}',
    'status.in_force': 'Còn hiệu lực',
    'status.adjusted': 'Đã điều chỉnh',
    'status.expired': 'Hết hiệu lực',
    'status.draft': 'Dự thảo lấy ý kiến',
    'level.national': 'Quy hoạch tổng thể quốc gia',
    'level.regional': 'Quy hoạch vùng',
    'level.provincial': 'Quy hoạch tỉnh',
    'level.general_urban': 'Quy hoạch chung đô thị',
    'level.zoning_2000': 'Quy hoạch phân khu tỷ lệ 1/2000',
    'level.detailed_500': 'Quy hoạch chi tiết tỷ lệ 1/500',
    'level.district_land_use': 'Quy hoạch sử dụng đất cấp huyện',
    'layers.title': 'Lớp bản đồ',
    'layers.view': 'Xem',
    'layers.view.current': 'Hiện trạng',
    'layers.view.planned': 'Quy hoạch',
    'layers.view.compare': 'So sánh',
    'layers.compare.hint': 'Kéo thanh trượt: bên trái là hiện trạng, bên phải là quy hoạch.',
    'layers.compare.slider': 'Vị trí đường so sánh',
    'layers.plans': 'Các quy hoạch',
    'layers.other': 'Lớp khác',
    'layers.opacity': 'Độ trong suốt của {name}',
    'layers.parcels': 'Ranh và số thửa đất',
    'layers.current': 'Hiện trạng sử dụng đất',
    'layers.redlines': 'Chỉ giới đường đỏ',
    'layers.communes': 'Ranh giới xã/phường',
    'layers.roads': 'Đường giao thông',
    'layers.base': 'Bản đồ nền',
    'layers.base.own': 'Nền trơn (chỉ dữ liệu quy hoạch)',
    'layers.base.raster': 'Bản đồ nền chi tiết',
    'layers.legend': 'Chú giải loại đất',
    'layers.legend.inview': 'Chỉ hiện loại đất có trên bản đồ',
    'layers.zoomto': 'Thu phóng tới',
    'tools.title': 'Công cụ',
    'tools.site': 'Khu đất của doanh nghiệp',
    'tools.draw': 'Vẽ khu đất',
    'tools.draw.hint': 'Nhấn lên bản đồ để thêm đỉnh; nhấn “Xong” (hoặc Enter) để kết thúc, Backspace để xóa đỉnh cuối, Esc để hủy.',
    'tools.draw.finish': 'Xong',
    'tools.draw.undo': 'Xóa đỉnh cuối',
    'tools.draw.cancel': 'Hủy',
    'tools.draw.need3': 'Cần ít nhất 3 đỉnh để tạo khu đất.',
    'tools.certificate': 'Nhập bảng tọa độ góc thửa (sổ đỏ)',
    'tools.certificate.hint': 'Dán bảng tọa độ VN-2000 in trên Giấy chứng nhận: mỗi dòng một điểm, gồm X (tọa độ Bắc) và Y (tọa độ Đông). Có thể kèm số hiệu điểm và cạnh.',
    'tools.certificate.label': 'Bảng tọa độ (X Y mỗi dòng)',
    'tools.certificate.go': 'Vẽ và lập báo cáo',
    'tools.certificate.bad': 'Không đọc được tọa độ ở dòng {line}: “{text}”',
    'tools.certificate.few': 'Cần ít nhất 3 điểm; đọc được {n}.',
    'tools.certificate.read': 'Đọc được {n} điểm.',
    'tools.upload': 'Tải lên ranh khu đất',
    'tools.upload.hint': 'Shapefile nén (.zip gồm .shp, .shx, .dbf, .prj), GeoPackage, GeoJSON, KML, hoặc danh sách tọa độ VN-2000 (.txt, .csv).',
    'tools.upload.label': 'Chọn tệp',
    'tools.upload.shp': 'Hãy nén các tệp .shp, .shx, .dbf và .prj thành một tệp .zip rồi tải lên.',
    'tools.upload.nopoly': 'Tệp không có vùng (polygon) nào.',
    'tools.upload.bad': 'Không đọc được tệp: {msg}',
    'tools.measure': 'Đo đạc',
    'tools.measure.line': 'Đo khoảng cách',
    'tools.measure.area': 'Đo diện tích',
    'tools.measure.result.line': 'Khoảng cách: {v}',
    'tools.measure.result.area': 'Diện tích: {v} (chu vi {p})',
    'tools.measure.hint': 'Nhấn lên bản đồ để thêm điểm; Enter hoặc “Xong” để kết thúc.',
    'tools.select': 'Chọn nhiều thửa',
    'tools.select.hint': 'Giữ phím Shift và nhấn vào các thửa (trên điện thoại: bật chế độ chọn nhiều rồi chạm).',
    'tools.select.toggle': 'Chế độ chọn nhiều thửa',
    'tools.province': 'Tỉnh/thành của tọa độ',
    'tools.xy.note': 'Theo quy ước Việt Nam, X là tọa độ Bắc (northing), Y là tọa độ Đông (easting).',
    'coords.wgs84': 'WGS 84',
    'coords.vn2000': 'VN-2000 ({province})',
    'coords.label': 'Tọa độ con trỏ',
    'share.title': 'Chia sẻ',
    'share.link': 'Đường dẫn',
    'share.copy': 'Sao chép',
    'share.copied': 'Đã sao chép đường dẫn.',
    'share.qr': 'Mã QR: quét bằng điện thoại (Zalo, camera) để mở đúng thửa đất này.',
    'share.native': 'Chia sẻ qua ứng dụng…',
    'share.close': 'Đóng',
    'print.title': 'PHIẾU THÔNG TIN QUY HOẠCH (tham khảo)',
    'print.map': 'Bản đồ vị trí',
    'print.legend': 'Chú giải',
    'print.qr': 'Quét để xem trực tuyến',
    'print.date': 'Ngày in: {date}',
    'print.redline': 'Chỉ giới đường đỏ',
    'print.site': 'Khu đất tra cứu',
    'tour.skip': 'Bỏ qua',
    'tour.next': 'Tiếp',
    'tour.done': 'Bắt đầu',
    'tour.step': 'Bước {i}/{n}',
    'tour.1.title': 'Chào mừng!',
    'tour.1.body': 'Trang này giúp bạn biết thửa đất của mình có nằm trong quy hoạch hay không, theo quy hoạch và quyết định phê duyệt nào.',
    'tour.2.title': 'Tìm thửa đất',
    'tour.2.body': 'Gõ tên xã, số tờ, số thửa ghi trên sổ đỏ (VD: “Vĩnh Thanh tờ 12 thửa 345” hoặc “12/345”), tên đường, hoặc tọa độ X Y.',
    'tour.3.title': 'Hoặc nhấn vào bản đồ',
    'tour.3.body': 'Phóng to rồi nhấn vào thửa đất: câu trả lời “có bị ảnh hưởng không” hiện ngay đầu bảng thông tin.',
    'tour.4.title': 'Lớp bản đồ và công cụ',
    'tour.4.body': 'Bật tắt các quy hoạch, so sánh hiện trạng với quy hoạch, vẽ khu đất, đo diện tích, in và chia sẻ.',
    'help.title': 'Hướng dẫn và câu hỏi thường gặp',
    'help.back': 'Quay lại bản đồ',
    'help.tour': 'Xem lại hướng dẫn nhanh',
    'screen.title': 'Bảng tin quy hoạch',
    'screen.scan': 'Quét mã để tra cứu thửa đất của bạn',
    'screen.exit': 'Thoát chế độ trình chiếu',
    'screen.nocommune': 'Không tìm thấy xã/phường mã {c}.',
    'screen.zone': 'Ô {zone}: {landuse}',
    'units.m': '{v} m',
    'units.km': '{v} km',
    'units.m2': '{v} m²',
    'units.ha': '{v} ha',
    'noparcel.point': 'Điểm {lon}, {lat}',
  },
  en: {
    'app.title': 'Planning information lookup',
    'app.short': 'Planning lookup',
    'app.skip': 'Skip to the search box',
    'app.noscript': 'The map needs JavaScript. Text-only lookup: /api/v1/parcels/{commune code}/{sheet}/{parcel}/report.html',
    'lang.switch': 'Tiếng Việt',
    'lang.switch.label': 'Chuyển sang tiếng Việt',
    'search.label': 'Find a parcel, place, road or coordinates',
    'search.placeholder': 'E.g. Vinh Thanh sheet 12 parcel 345, 12/345, road name, X Y',
    'search.button': 'Search',
    'search.none': 'Nothing found for “{q}”. Try: commune + sheet + parcel (e.g. Vinh Thanh to 12 thua 345), “12/345”, a road name, or VN-2000 X Y coordinates.',
    'search.empty': 'Type something to search for.',
    'search.error': 'Search failed: {msg}',
    'search.vn2000': 'VN-2000: X (northing) = {x}, Y (easting) = {y} — {province}',
    'search.lonlat': 'Longitude {lon}, latitude {lat} (WGS 84)',
    'search.province': 'Province (VN-2000 zone)',
    'search.kind.parcel': 'Parcel',
    'search.kind.commune': 'Commune',
    'search.kind.road': 'Road',
    'search.kind.plan': 'Plan',
    'search.kind.point': 'Coordinates',
    'nav.layers': 'Layers',
    'nav.tools': 'Tools',
    'nav.help': 'Help',
    'nav.report': 'Result',
    'nav.menu': 'Functions',
    'map.label': 'Planning map. Click the map to see a parcel’s information; with a keyboard: arrow keys to move, + and − to zoom, Enter for the parcel at the centre.',
    'map.loading': 'Loading the map…',
    'map.failed': 'The map could not load ({msg}). Search and reports still work.',
    'map.nowebgl': 'This browser cannot show the map (no WebGL). Search and text reports still work.',
    'map.fallback': 'The server has no tiles yet: showing the data directly (slower).',
    'panel.close': 'Close',
    'loading': 'Loading…',
    'error.generic': 'Error: {msg}',
    'error.network': 'Cannot reach the server. Check the connection and try again.',
    'click.none': 'There is no parcel at this point.',
    'click.hint': 'Click a parcel on the map, or search by sheet and parcel number.',
    'report.title': 'Planning information',
    'report.loading': 'Preparing the planning report…',
    'report.affected.yes': 'Affected',
    'report.affected.no': 'Not affected',
    'report.question': 'Is my land affected by a plan?',
    'report.site': 'Site',
    'report.parcel': 'Parcel {parcel}, map sheet {sheet}',
    'report.commune': 'Commune',
    'report.address': 'Address',
    'report.area': 'Area',
    'report.area.declared': 'declared area {a}',
    'report.drawn': 'Drawn site',
    'report.multi': '{n} selected parcels',
    'report.current': 'Current land use',
    'report.planned': 'Plans',
    'report.none.current': 'No current land use recorded.',
    'report.noplans': 'No plan in the data covers this site.',
    'report.zone': 'Zone',
    'report.landuse': 'Land use',
    'report.share': 'Share',
    'report.overlap': 'Area',
    'report.same': 'same as current use',
    'report.changed': 'changes the current use',
    'report.coverage': 'The plan covers {pct} of the site',
    'report.indicators': 'Indicators',
    'report.density': 'Maximum building coverage {v}%',
    'report.floors': 'Floors {v}',
    'report.far': 'Floor area ratio {v}',
    'report.height': 'Maximum height {v} m',
    'report.footprint': 'Building footprint up to {v}',
    'report.floorarea': 'Total floor area up to {v}',
    'report.redlines': 'Red lines (road boundaries)',
    'report.redline.cross': '{road} road (right of way {w} m) crosses the site: {a} ({pct}) lies in the future road.',
    'report.redline.near': '{road} road (right of way {w} m) is {d} m from the site and does not cross it.',
    'report.redline.method.dgt_zones': 'measured with the plan’s transport zones',
    'report.redline.method.buffer': 'measured as half the right of way on each side of the centre line',
    'report.road.unnamed': 'unnamed',
    'report.decision': 'Decision {number} of {date}, {authority}',
    'report.level': 'Plan level',
    'report.status': 'Status',
    'report.draft': 'DRAFT — no legal force',
    'report.datadate': 'Data updated: {date}',
    'report.generated': 'Generated {date}',
    'report.source': 'Source',
    'report.actions': 'Report actions',
    'report.textonly': 'Text-only version (no JavaScript)',
    'report.print': 'Print (A4)',
    'report.share.btn': 'Share',
    'report.read': 'Read aloud',
    'report.read.stop': 'Stop reading',
    'speech.plan': '{name}, {status}, approved by {decision}.',
    'speech.draft': 'A draft has no legal force.',
    'speech.zone': '{name}: {pct} of the site.',
    'report.export.json': 'Download JSON',
    'report.export.csv': 'Download CSV',
    'report.export.geojson': 'Download site boundary (GeoJSON)',
    'report.multi.hint': 'Hold Shift and click to select more parcels, then make one combined report.',
    'report.multi.btn': 'Combined report for {n} parcels',
    'report.multi.clear': 'Clear selection',
    'report.error': 'The report could not be made: {msg}',
    'status.in_force': 'In force',
    'status.adjusted': 'Adjusted',
    'status.expired': 'Expired',
    'status.draft': 'Draft for consultation',
    'level.national': 'National master plan',
    'level.regional': 'Regional plan',
    'level.provincial': 'Provincial plan',
    'level.general_urban': 'General urban plan',
    'level.zoning_2000': 'Zoning plan 1:2000',
    'level.detailed_500': 'Detailed plan 1:500',
    'level.district_land_use': 'District land-use plan',
    'layers.title': 'Map layers',
    'layers.view': 'Show',
    'layers.view.current': 'Current use',
    'layers.view.planned': 'Planned use',
    'layers.view.compare': 'Compare',
    'layers.compare.hint': 'Drag the slider: current use on the left, planned use on the right.',
    'layers.compare.slider': 'Position of the comparison line',
    'layers.plans': 'Plans',
    'layers.other': 'Other layers',
    'layers.opacity': 'Opacity of {name}',
    'layers.parcels': 'Parcel boundaries and numbers',
    'layers.current': 'Current land use',
    'layers.redlines': 'Red lines',
    'layers.communes': 'Commune boundaries',
    'layers.roads': 'Roads',
    'layers.base': 'Base map',
    'layers.base.own': 'Plain (planning data only)',
    'layers.base.raster': 'Detailed base map',
    'layers.legend': 'Land-use legend',
    'layers.legend.inview': 'Only land uses on the map',
    'layers.zoomto': 'Zoom to',
    'tools.title': 'Tools',
    'tools.site': 'A business site',
    'tools.draw': 'Draw a site',
    'tools.draw.hint': 'Click the map to add corners; press “Done” (or Enter) to finish, Backspace to remove the last corner, Esc to cancel.',
    'tools.draw.finish': 'Done',
    'tools.draw.undo': 'Remove last corner',
    'tools.draw.cancel': 'Cancel',
    'tools.draw.need3': 'A site needs at least 3 corners.',
    'tools.certificate': 'Enter a certificate’s corner table',
    'tools.certificate.hint': 'Paste the VN-2000 table printed on the land-use certificate: one point per line with X (northing) and Y (easting). Point numbers and edge lengths may stay.',
    'tools.certificate.label': 'Coordinate table (X Y per line)',
    'tools.certificate.go': 'Draw and report',
    'tools.certificate.bad': 'Cannot read coordinates on line {line}: “{text}”',
    'tools.certificate.few': 'At least 3 points are needed; found {n}.',
    'tools.certificate.read': 'Read {n} points.',
    'tools.upload': 'Upload a site boundary',
    'tools.upload.hint': 'A zipped Shapefile (.zip with .shp, .shx, .dbf, .prj), GeoPackage, GeoJSON, KML, or a VN-2000 coordinate list (.txt, .csv).',
    'tools.upload.label': 'Choose a file',
    'tools.upload.shp': 'Zip the .shp, .shx, .dbf and .prj files into one .zip and upload that.',
    'tools.upload.nopoly': 'The file has no polygon.',
    'tools.upload.bad': 'Cannot read the file: {msg}',
    'tools.measure': 'Measure',
    'tools.measure.line': 'Measure distance',
    'tools.measure.area': 'Measure area',
    'tools.measure.result.line': 'Distance: {v}',
    'tools.measure.result.area': 'Area: {v} (perimeter {p})',
    'tools.measure.hint': 'Click the map to add points; Enter or “Done” to finish.',
    'tools.select': 'Select several parcels',
    'tools.select.hint': 'Hold Shift and click parcels (on a phone: turn on multi-select, then tap).',
    'tools.select.toggle': 'Multi-select mode',
    'tools.province': 'Province of the coordinates',
    'tools.xy.note': 'In Vietnamese usage X is the northing and Y the easting.',
    'coords.wgs84': 'WGS 84',
    'coords.vn2000': 'VN-2000 ({province})',
    'coords.label': 'Cursor coordinates',
    'share.title': 'Share',
    'share.link': 'Link',
    'share.copy': 'Copy',
    'share.copied': 'Link copied.',
    'share.qr': 'QR code: scan with a phone to open this parcel.',
    'share.native': 'Share with an app…',
    'share.close': 'Close',
    'print.title': 'PLANNING INFORMATION SHEET (for reference)',
    'print.map': 'Location map',
    'print.legend': 'Legend',
    'print.qr': 'Scan to view online',
    'print.date': 'Printed: {date}',
    'print.redline': 'Red line',
    'print.site': 'Site looked up',
    'tour.skip': 'Skip',
    'tour.next': 'Next',
    'tour.done': 'Start',
    'tour.step': 'Step {i}/{n}',
    'tour.1.title': 'Welcome!',
    'tour.1.body': 'This page tells you whether your land is affected by a plan, and which plan and approving decision say so.',
    'tour.2.title': 'Find your parcel',
    'tour.2.body': 'Type the commune, sheet and parcel numbers from your certificate (e.g. “Vinh Thanh sheet 12 parcel 345” or “12/345”), a road name, or X Y coordinates.',
    'tour.3.title': 'Or click the map',
    'tour.3.body': 'Zoom in and click a parcel: the answer to “is it affected?” comes first in the panel.',
    'tour.4.title': 'Layers and tools',
    'tour.4.body': 'Turn plans on and off, compare current and planned use, draw a site, measure, print and share.',
    'help.title': 'Help and frequently asked questions',
    'help.back': 'Back to the map',
    'help.tour': 'Replay the quick tour',
    'screen.title': 'Planning notice board',
    'screen.scan': 'Scan to look up your parcel',
    'screen.exit': 'Leave the presentation mode',
    'screen.nocommune': 'No commune with code {c}.',
    'screen.zone': 'Zone {zone}: {landuse}',
    'units.m': '{v} m',
    'units.km': '{v} km',
    'units.m2': '{v} m²',
    'units.ha': '{v} ha',
    'noparcel.point': 'Point {lon}, {lat}',
  },
};

export const LANGS = ['vi', 'en'];
let lang = 'vi';
const listeners = new Set();

export function getLang() {
  return lang;
}

export function locale() {
  return lang === 'vi' ? 'vi-VN' : 'en-GB';
}

export function t(key, params) {
  let s = STRINGS[lang][key] ?? STRINGS.vi[key] ?? key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] === undefined || params[k] === null ? m : String(params[k])));
  }
  return s;
}

/** Both languages' string for a key (tests check that every key exists in both). */
export function allKeys() {
  return { vi: Object.keys(STRINGS.vi), en: Object.keys(STRINGS.en) };
}

export function applyI18n(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  root.querySelectorAll('[data-i18n-attr]').forEach((el) => {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  });
}

export function setLang(next) {
  if (!LANGS.includes(next)) return;
  lang = next;
  document.documentElement.lang = next;
  document.title = t('app.title');
  try {
    localStorage.setItem('qh.lang', next);
  } catch {
    /* private mode */
  }
  applyI18n();
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) {
  listeners.add(fn);
}

/** Initial language: URL `lang=`, then the saved choice, then Vietnamese. */
export function initialLang(urlLang) {
  if (LANGS.includes(urlLang)) return urlLang;
  try {
    const saved = localStorage.getItem('qh.lang');
    if (LANGS.includes(saved)) return saved;
  } catch {
    /* private mode */
  }
  return 'vi';
}

// Numbers, areas and dates in the reader's conventions.
export function fmtNum(v, digits = 1) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(v);
}

export function fmtArea(m2) {
  if (!Number.isFinite(m2)) return '—';
  if (m2 >= 10000) return t('units.ha', { v: fmtNum(m2 / 10000, 2) }) + ` (${t('units.m2', { v: fmtNum(m2, 0) })})`;
  return t('units.m2', { v: fmtNum(m2, 1) });
}

export function fmtLength(m) {
  if (!Number.isFinite(m)) return '—';
  if (m >= 1000) return t('units.km', { v: fmtNum(m / 1000, 2) });
  return t('units.m', { v: fmtNum(m, 1) });
}

export function fmtPct(p) {
  return `${fmtNum(p, 1)}%`;
}

/** "2023-10-12" or an RFC 3339 time → 12/10/2023 (vi) or 12 Oct 2023 (en). */
export function fmtDate(s) {
  if (!s) return '—';
  const d = new Date(s.length === 10 ? `${s}T00:00:00Z` : s);
  if (Number.isNaN(d.getTime())) return s;
  return new Intl.DateTimeFormat(locale(), { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }).format(d);
}

/** MapLibre's own control labels, in the page's language at the time the map is made. */
export function mapLocale() {
  // MapLibre's canvas is the map's one landmark and tab stop: its name says how to use it.
  if (lang === 'en') return { 'Map.Title': t('map.label') };
  return {
    'Map.Title': t('map.label'),
    'NavigationControl.ZoomIn': 'Phóng to',
    'NavigationControl.ZoomOut': 'Thu nhỏ',
    'NavigationControl.ResetBearing': 'Xoay về hướng Bắc',
    'GeolocateControl.FindMyLocation': 'Vị trí của tôi',
    'GeolocateControl.LocationNotAvailable': 'Không xác định được vị trí',
    'AttributionControl.ToggleAttribution': 'Nguồn dữ liệu',
    'ScaleControl.Meters': 'm',
    'ScaleControl.Kilometers': 'km',
    'Popup.Close': 'Đóng',
  };
}
