// The UI's words and the Vietnamese ways of writing numbers, money and dates.
//
// Vietnamese is the default; English is there for advisers and developers. Every key exists in
// both dictionaries (the type of `en` makes a missing key a compile error). Numbers are written
// by hand rather than with Intl so that they do not depend on the ICU data of the webview:
// `1.646`, `522,6 triệu đồng`, dates `dd/mm/yyyy` — as on the commune's paper forms.

export type Lang = "vi" | "en";

export const LANGS: readonly Lang[] = ["vi", "en"];

const vi = {
  "app.title": "Khuyến học",
  "app.subtitle": "Sổ Hội Khuyến học xã, phường",
  "app.loading": "Đang mở cơ sở dữ liệu…",
  "app.error": "Không mở được cơ sở dữ liệu",
  "info.heading": "Thông tin phần mềm",
  "info.version": "Phiên bản",
  "info.database": "Tệp cơ sở dữ liệu",
  "info.schema": "Phiên bản dữ liệu",
  "lang.switch": "English",
  "error.ipc": "Không gọi được phần lõi của ứng dụng: {detail}",
  // Screens (App.svelte, screens/, components/).
  "common.browse": "Chọn tệp…",
  "common.cancel": "Hủy",
  "common.close": "Đóng",
  "common.loading": "Đang tải…",
  "common.save": "Lưu",
  "nav.label": "Các màn hình",
  "nav.dashboard": "Tổng quan",
  "nav.members": "Hội viên",
  "nav.units": "Đơn vị",
  "nav.import": "Nhập từ Excel",
  "nav.files": "Xuất, sao lưu",
  "nav.officers": "Cán bộ",
  "nav.settings": "Cài đặt",
  "dash.members": "hội viên đang sinh hoạt",
  "dash.ofTotal": "trong tổng số {total} người đã ghi sổ",
  "dash.percent": "hội viên so với dân số",
  "dash.population": "dân số {n} ({year})",
  "dash.noPopulation": "chưa nhập dân số của năm",
  "dash.branches": "chi hội",
  "dash.pending": "thay đổi chờ đồng bộ",
  "setup.welcome": "Chào mừng đến với Khuyến học",
  "setup.intro": "Máy này chưa có dữ liệu. Hãy thiết lập hội của xã/phường, hoặc tham gia hội đã được thiết lập trên máy khác.",
  "setup.new": "Thiết lập hội mới",
  "setup.join": "Tham gia hội đã có",
  "setup.association": "Hội Khuyến học",
  "setup.province": "Hội Khuyến học tỉnh/thành phố",
  "setup.provinceCode": "Mã tỉnh",
  "setup.commune": "Hội Khuyến học xã/phường",
  "setup.communeCode": "Mã xã/phường",
  "setup.firstOfficer": "Cán bộ đầu tiên (chủ tịch hội)",
  "setup.pinAgain": "Nhập lại mã PIN",
  "setup.pinMismatch": "Hai lần nhập mã PIN không giống nhau.",
  "setup.submit": "Thiết lập",
  "setup.joinIntro": "Dùng khi hội đã được thiết lập trên máy khác: khi có mạng, máy này sẽ tải danh sách cán bộ và hội viên của hội về, không tạo hội thứ hai.",
  "setup.server": "Địa chỉ máy chủ",
  "setup.enrolmentCode": "Mã tham gia",
  "setup.joinSubmit": "Tham gia",
  "setup.deviceName": "Tên máy này",
  "setup.deviceNameHint": "Để cấp trên nhận ra máy, ví dụ: Máy thư ký",
  "setup.joined": "Máy này đã tham gia {unit}. Đang chờ nhận dữ liệu của hội (cán bộ và hội viên); khi xong, hãy đăng nhập.",
  "nav.sync": "Đồng bộ",
  "sync.off": "Chưa kết nối máy chủ đồng bộ",
  "sync.running": "Đang đồng bộ…",
  "sync.failed": "Chưa đồng bộ được: {error}",
  "sync.pending": "{n} thay đổi chờ gửi",
  "sync.never": "chưa đồng bộ lần nào",
  "sync.last": "đồng bộ lần cuối {time}",
  "sync.conflicts": "{n} xung đột cần xem",
  "sync.parked": "{n} thay đổi bị từ chối",
  "sync.now": "Đồng bộ ngay",
  "sync.server": "Máy chủ",
  "sync.unit": "Thuộc",
  "sync.enrollTitle": "Kết nối máy chủ đồng bộ",
  "sync.enrollIntro": "Nhập địa chỉ máy chủ và mã tham gia do hội cấp trên cung cấp. Mỗi mã chỉ dùng cho một máy.",
  "sync.reenrollTitle": "Kết nối lại máy chủ đồng bộ",
  "sync.reenrollIntro": "Máy này lâu không đồng bộ nên quyền kết nối đã hết hạn. Xin hội cấp trên một mã tham gia mới và nhập dưới đây; các thay đổi đang chờ vẫn được giữ và sẽ gửi lên sau khi kết nối lại.",
  "sync.enrollSubmit": "Kết nối",
  "sync.onlyChair": "Chỉ chủ tịch hội kết nối được máy này với máy chủ.",
  "sync.conflictsTitle": "Xung đột cần xem lại",
  "sync.conflictsIntro": "Hai người cùng sửa một thông tin khi không có mạng. Giá trị hiện tại đang được dùng ở mọi máy; có thể chọn lại giá trị kia.",
  "sync.noConflicts": "Không có xung đột nào.",
  "sync.kept": "Đang dùng",
  "sync.lost": "Giá trị kia",
  "sync.keep": "Giữ giá trị đang dùng",
  "sync.useLost": "Dùng giá trị kia",
  "sync.parkedTitle": "Thay đổi máy chủ từ chối",
  "sync.noParked": "Không có thay đổi nào bị từ chối.",
  "sync.dismiss": "Đã xem, bỏ qua",
  "sync.duplicatesTitle": "Hội viên có thể bị trùng",
  "sync.duplicatesIntro": "Có thể hai người cùng nhập một hội viên trên hai máy. Chọn bản ghi giữ lại: bản kia được gộp vào, thông tin còn thiếu được bổ sung.",
  "sync.noDuplicates": "Không thấy hội viên nào bị trùng.",
  "sync.keepThis": "Giữ bản ghi này, gộp bản kia vào",
  "sync.oldest": "nhập trước",
  "sync.offlineTitle": "Khi không có mạng",
  "sync.offlineIntro": "Ghi các thay đổi chưa gửi của máy này ra một tệp có chữ ký (mang bằng USB hoặc gửi qua Zalo) cho một máy có mạng chuyển lên máy chủ; hoặc nhận tệp của máy khác để chuyển giúp. Tệp bị sửa sẽ bị máy chủ từ chối.",
  "sync.batchFile": "Tệp thay đổi Khuyến học",
  "sync.exportPath": "Ghi ra tệp",
  "sync.importPath": "Tệp của máy khác",
  "sync.export": "Ghi tệp thay đổi",
  "sync.import": "Nhận tệp để chuyển lên",
  "sync.exported": "Đã ghi {n} thay đổi vào {path}.",
  "sync.imported": "Đã nhận {n} thay đổi; sẽ chuyển lên máy chủ ở lần đồng bộ tới.",
  "sync.importedBefore": "Tệp này đã được nhận trước đó.",
  "login.title": "Đăng nhập",
  "login.submit": "Đăng nhập",
  "login.logout": "Đăng xuất",
  "officer.fullName": "Họ và tên",
  "officer.username": "Tên đăng nhập",
  "officer.usernameHint": "Chữ không dấu, không khoảng trắng, ví dụ: lan hoặc thuky.an",
  "officer.pin": "Mã PIN",
  "officer.pinHint": "4–12 chữ số, không dùng 1111 hay 1234",
  "officer.role": "Chức danh",
  "role.chairperson": "Chủ tịch",
  "role.secretary": "Thư ký",
  "role.treasurer": "Thủ quỹ",
  "role.viewer": "Chỉ xem",
  "officers.add": "Thêm cán bộ",
  "officers.addButton": "Thêm cán bộ",
  "officers.added": "Đã thêm cán bộ {name}.",
  "officers.lock": "Khóa",
  "officers.unlock": "Mở khóa",
  "officers.myPin": "Đổi mã PIN của tôi",
  "officers.oldPin": "Mã PIN hiện tại",
  "officers.newPin": "Mã PIN mới",
  "officers.changePin": "Đổi mã PIN",
  "officers.pinChanged": "Đã đổi mã PIN.",
  "units.showClosed": "Hiện cả đơn vị đã giải thể, sáp nhập",
  "units.closedOn": "đóng từ {date}",
  "units.code": "Mã",
  "units.add": "Thêm đơn vị trực thuộc",
  "units.rename": "Đổi tên",
  "units.move": "Chuyển sang đơn vị khác",
  "units.merge": "Sáp nhập",
  "units.addUnder": "Thêm đơn vị trực thuộc {name}",
  "units.name": "Tên đơn vị",
  "units.kind": "Loại",
  "units.newName": "Tên mới",
  "units.moveTo": "Chuyển về trực thuộc",
  "units.mergeInto": "Sáp nhập vào",
  "units.mergeHint": "Hội viên của đơn vị này chuyển sang đơn vị được chọn; lịch sử được giữ lại.",
  "units.added": "Đã thêm {name}.",
  "units.renamed": "Đã đổi tên.",
  "units.moved": "Đã chuyển đơn vị.",
  "units.merged": "Đã sáp nhập vào {name}.",
  "kind.branch": "Chi hội",
  "kind.group": "Tổ khuyến học",
  "kind.committee": "Ban khuyến học",
  "kind.commune": "Hội xã/phường",
  "members.search": "Tìm hội viên",
  "members.searchPlaceholder": "Tìm theo tên, số thẻ, điện thoại (gõ không dấu cũng được)",
  "members.allUnits": "Tất cả đơn vị",
  "members.allStatuses": "Mọi tình trạng",
  "members.status": "Tình trạng",
  "members.add": "Thêm hội viên",
  "members.count": "{n} hội viên",
  "members.found": "Tìm thấy {n} hội viên",
  "members.foundMore": "Tìm thấy {n}+ hội viên",
  "members.editor": "Thông tin hội viên",
  "members.added": "Đã thêm {name}. Nhập người tiếp theo, hoặc đóng (Esc).",
  "members.new": "Hội viên mới",
  "members.newStatus": "Tình trạng mới",
  "members.statusDate": "Ngày",
  "members.changeStatus": "Ghi nhận",
  "member.fullName": "Họ và tên",
  "member.unit": "Chi hội / đơn vị",
  "member.gender": "Giới tính",
  "member.male": "Nam",
  "member.female": "Nữ",
  "member.birth": "Ngày sinh",
  "member.dateHint": "dd/mm/yyyy hoặc chỉ năm",
  "member.phone": "Điện thoại",
  "member.card": "Số thẻ",
  "member.address": "Địa chỉ",
  "member.joined": "Ngày vào hội",
  "member.citizenId": "Số CCCD",
  "member.optional": "không bắt buộc",
  "member.citizenIdKept": "Để trống để giữ số đã lưu",
  "member.note": "Ghi chú",
  "status.active": "Đang sinh hoạt",
  "status.moved_away": "Chuyển đi",
  "status.left": "Thôi sinh hoạt",
  "status.deceased": "Từ trần",
  "import.step1": "Chọn tệp danh sách",
  "import.file": "Tệp (.xlsx, .xls, .ods, .csv)",
  "import.fileKinds": "Danh sách hội viên",
  "import.unit": "Nhập vào đơn vị",
  "import.unitHint": "Nếu tệp có cột chi hội, mỗi dòng vào đúng chi hội của nó.",
  "import.read": "Đọc tệp và xem trước",
  "import.step2": "Kiểm tra",
  "import.summary": "{rows} dòng hợp lệ: {new} người mới, {present} người đã có; {errors} dòng có lỗi.",
  "import.converted": "Chữ trong tệp được chuyển từ {encoding} sang Unicode.",
  "import.column": "Cột trong tệp",
  "import.readAs": "Đọc là",
  "import.ignored": "(bỏ qua)",
  "import.sample": "Các dòng đầu",
  "import.row": "Dòng",
  "import.present": "đã có",
  "import.errors": "{n} dòng có lỗi",
  "import.skip": "Bỏ qua các dòng có lỗi, nhập các dòng còn lại",
  "import.step3": "Nhập vào sổ",
  "import.commit": "Nhập {n} hội viên",
  "import.done": "Đã nhập {added} hội viên ({present} người đã có, {skipped} dòng lỗi bỏ qua).",
  "col.ordinal": "STT",
  "col.full_name": "Họ và tên",
  "col.family_and_middle": "Họ và tên đệm",
  "col.given_name": "Tên",
  "col.gender": "Giới tính",
  "col.birth_date": "Ngày sinh",
  "col.birth_year_male": "Năm sinh (nam)",
  "col.birth_year_female": "Năm sinh (nữ)",
  "col.phone": "Điện thoại",
  "col.address": "Địa chỉ",
  "col.branch": "Chi hội",
  "col.join_date": "Ngày vào hội",
  "col.card_number": "Số thẻ",
  "col.citizen_id": "Số CCCD",
  "col.status": "Tình trạng",
  "col.note": "Ghi chú",
  "files.export": "Xuất danh sách hội viên ra Excel",
  "files.exportTo": "Lưu vào tệp",
  "files.withCitizenId": "Kèm số CCCD (chỉ khi thật cần)",
  "files.exportButton": "Xuất",
  "files.exported": "Đã xuất {n} hội viên vào {path}.",
  "files.backup": "Sao lưu",
  "files.backupTo": "Tệp sao lưu",
  "files.backupButton": "Sao lưu ngay",
  "files.backedUp": "Đã sao lưu {n} hội viên vào {path}.",
  "files.neverBackedUp": "Máy này chưa sao lưu lần nào.",
  "files.lastBackup": "Lần sao lưu gần nhất: {days} ngày trước.",
  "files.backupNow": "Sao lưu ngay",
  "files.restore": "Khôi phục từ bản sao lưu",
  "files.restoreHint": "Dữ liệu hiện tại được cất riêng một bản trước khi khôi phục. Sau khi khôi phục, mọi người đăng nhập lại.",
  "files.restoreFrom": "Tệp sao lưu",
  "files.restoreConfirm": "Tôi hiểu dữ liệu hiện tại sẽ được thay bằng bản sao lưu",
  "files.restoreButton": "Khôi phục",
  "files.restored": "Đã khôi phục: {n} hội viên. Hãy đăng nhập lại.",
  "settings.language": "Ngôn ngữ",
} as const;

export type Key = keyof typeof vi;

const en: Record<Key, string> = {
  "app.title": "Khuyến học",
  "app.subtitle": "Register of the commune Study Promotion Association",
  "app.loading": "Opening the database…",
  "app.error": "The database could not be opened",
  "info.heading": "About this app",
  "info.version": "Version",
  "info.database": "Database file",
  "info.schema": "Data version",
  "lang.switch": "Tiếng Việt",
  "error.ipc": "The app core could not be reached: {detail}",
  "common.browse": "Browse…",
  "common.cancel": "Cancel",
  "common.close": "Close",
  "common.loading": "Loading…",
  "common.save": "Save",
  "nav.label": "Screens",
  "nav.dashboard": "Overview",
  "nav.members": "Members",
  "nav.units": "Units",
  "nav.import": "Import from Excel",
  "nav.files": "Export, backup",
  "nav.officers": "Officers",
  "nav.settings": "Settings",
  "dash.members": "active members",
  "dash.ofTotal": "of {total} people on the register",
  "dash.percent": "members as % of population",
  "dash.population": "population {n} ({year})",
  "dash.noPopulation": "no population figure for the year yet",
  "dash.branches": "branches",
  "dash.pending": "changes waiting for sync",
  "setup.welcome": "Welcome to Khuyến học",
  "setup.intro": "This laptop has no data yet. Set up your commune's association, or join one already set up on another laptop.",
  "setup.new": "Set up a new association",
  "setup.join": "Join an existing association",
  "setup.association": "Study Promotion Association",
  "setup.province": "Provincial association",
  "setup.provinceCode": "Province code",
  "setup.commune": "Commune association",
  "setup.communeCode": "Commune code",
  "setup.firstOfficer": "First officer (the chairperson)",
  "setup.pinAgain": "PIN again",
  "setup.pinMismatch": "The two PINs differ.",
  "setup.submit": "Set up",
  "setup.joinIntro": "For an association already set up on another laptop: when online, this laptop downloads its officers and members instead of creating a second association.",
  "setup.server": "Server address",
  "setup.enrolmentCode": "Enrolment code",
  "setup.joinSubmit": "Join",
  "setup.deviceName": "This laptop's name",
  "setup.deviceNameHint": "So the province can tell laptops apart, e.g. Secretary's laptop",
  "setup.joined": "This laptop joined {unit}. Waiting for the association's data (officers and members); then log in.",
  "nav.sync": "Sync",
  "sync.off": "Not connected to a sync server",
  "sync.running": "Syncing…",
  "sync.failed": "Sync failed: {error}",
  "sync.pending": "{n} changes waiting",
  "sync.never": "never synced",
  "sync.last": "last synced {time}",
  "sync.conflicts": "{n} conflicts to review",
  "sync.parked": "{n} changes refused",
  "sync.now": "Sync now",
  "sync.server": "Server",
  "sync.unit": "Belongs to",
  "sync.enrollTitle": "Connect to the sync server",
  "sync.enrollIntro": "Enter the server address and the enrolment code from the province. Each code works for one laptop.",
  "sync.reenrollTitle": "Reconnect to the sync server",
  "sync.reenrollIntro": "This laptop has not synced for so long that its access expired. Ask the province for a new enrolment code and enter it below; the changes waiting here are kept and go up once it is reconnected.",
  "sync.enrollSubmit": "Connect",
  "sync.onlyChair": "Only the chairperson can connect this laptop to the server.",
  "sync.conflictsTitle": "Conflicts to review",
  "sync.conflictsIntro": "Two people changed the same detail while offline. The current value is used on every laptop; you may choose the other one instead.",
  "sync.noConflicts": "No conflicts.",
  "sync.kept": "In use",
  "sync.lost": "Other value",
  "sync.keep": "Keep the value in use",
  "sync.useLost": "Use the other value",
  "sync.parkedTitle": "Changes the server refused",
  "sync.noParked": "No refused changes.",
  "sync.dismiss": "Seen, dismiss",
  "sync.duplicatesTitle": "Possible duplicate members",
  "sync.duplicatesIntro": "The same member may have been entered on two laptops. Choose the record to keep: the other is merged into it and fills in what it lacks.",
  "sync.noDuplicates": "No duplicate members found.",
  "sync.keepThis": "Keep this record, merge the other",
  "sync.oldest": "entered first",
  "sync.offlineTitle": "With no connection",
  "sync.offlineIntro": "Write this laptop's unsent changes to a signed file (carry it on a USB stick or send it by chat) for a connected laptop to pass on to the server; or take another laptop's file to pass it on. The server refuses an altered file.",
  "sync.batchFile": "Khuyến học changes file",
  "sync.exportPath": "Write to file",
  "sync.importPath": "Another laptop's file",
  "sync.export": "Write changes file",
  "sync.import": "Take file to pass on",
  "sync.exported": "Wrote {n} changes to {path}.",
  "sync.imported": "Took {n} changes; they go to the server at the next sync.",
  "sync.importedBefore": "This file was taken before.",
  "login.title": "Log in",
  "login.submit": "Log in",
  "login.logout": "Log out",
  "officer.fullName": "Full name",
  "officer.username": "Login name",
  "officer.usernameHint": "Letters without tone marks, no spaces, e.g. lan or thuky.an",
  "officer.pin": "PIN",
  "officer.pinHint": "4 to 12 digits, not 1111 or 1234",
  "officer.role": "Role",
  "role.chairperson": "Chairperson",
  "role.secretary": "Secretary",
  "role.treasurer": "Treasurer",
  "role.viewer": "Viewer",
  "officers.add": "Add an officer",
  "officers.addButton": "Add officer",
  "officers.added": "Added {name}.",
  "officers.lock": "Lock",
  "officers.unlock": "Unlock",
  "officers.myPin": "Change my PIN",
  "officers.oldPin": "Current PIN",
  "officers.newPin": "New PIN",
  "officers.changePin": "Change PIN",
  "officers.pinChanged": "PIN changed.",
  "units.showClosed": "Show closed and merged units",
  "units.closedOn": "closed {date}",
  "units.code": "Code",
  "units.add": "Add a unit below",
  "units.rename": "Rename",
  "units.move": "Move",
  "units.merge": "Merge",
  "units.addUnder": "Add a unit below {name}",
  "units.name": "Unit name",
  "units.kind": "Kind",
  "units.newName": "New name",
  "units.moveTo": "Move under",
  "units.mergeInto": "Merge into",
  "units.mergeHint": "Its members move to the chosen unit; history is kept.",
  "units.added": "Added {name}.",
  "units.renamed": "Renamed.",
  "units.moved": "Moved.",
  "units.merged": "Merged into {name}.",
  "kind.branch": "Branch",
  "kind.group": "Group",
  "kind.committee": "Committee",
  "kind.commune": "Commune association",
  "members.search": "Search members",
  "members.searchPlaceholder": "Search by name, card or phone (tone marks optional)",
  "members.allUnits": "All units",
  "members.allStatuses": "Any status",
  "members.status": "Status",
  "members.add": "Add member",
  "members.count": "{n} members",
  "members.found": "{n} members found",
  "members.foundMore": "{n}+ members found",
  "members.editor": "Member details",
  "members.added": "Added {name}. Enter the next one, or close (Esc).",
  "members.new": "New member",
  "members.newStatus": "New status",
  "members.statusDate": "Date",
  "members.changeStatus": "Record",
  "member.fullName": "Full name",
  "member.unit": "Branch / unit",
  "member.gender": "Gender",
  "member.male": "Male",
  "member.female": "Female",
  "member.birth": "Date of birth",
  "member.dateHint": "dd/mm/yyyy or a year",
  "member.phone": "Phone",
  "member.card": "Card no.",
  "member.address": "Address",
  "member.joined": "Joined",
  "member.citizenId": "Citizen ID",
  "member.optional": "optional",
  "member.citizenIdKept": "Leave empty to keep the stored number",
  "member.note": "Note",
  "status.active": "Active",
  "status.moved_away": "Moved away",
  "status.left": "Left",
  "status.deceased": "Deceased",
  "import.step1": "Choose the list",
  "import.file": "File (.xlsx, .xls, .ods, .csv)",
  "import.fileKinds": "Member lists",
  "import.unit": "Import into",
  "import.unitHint": "If the file has a branch column, each row goes to its branch.",
  "import.read": "Read and preview",
  "import.step2": "Check",
  "import.summary": "{rows} valid rows: {new} new, {present} already present; {errors} rows with errors.",
  "import.converted": "Text converted from {encoding} to Unicode.",
  "import.column": "Column in the file",
  "import.readAs": "Read as",
  "import.ignored": "(ignored)",
  "import.sample": "First rows",
  "import.row": "Row",
  "import.present": "present",
  "import.errors": "{n} rows with errors",
  "import.skip": "Skip the wrong rows and import the rest",
  "import.step3": "Import",
  "import.commit": "Import {n} members",
  "import.done": "Imported {added} members ({present} already present, {skipped} wrong rows skipped).",
  "col.ordinal": "No.",
  "col.full_name": "Full name",
  "col.family_and_middle": "Family and middle name",
  "col.given_name": "Given name",
  "col.gender": "Gender",
  "col.birth_date": "Date of birth",
  "col.birth_year_male": "Birth year (male)",
  "col.birth_year_female": "Birth year (female)",
  "col.phone": "Phone",
  "col.address": "Address",
  "col.branch": "Branch",
  "col.join_date": "Joined",
  "col.card_number": "Card no.",
  "col.citizen_id": "Citizen ID",
  "col.status": "Status",
  "col.note": "Note",
  "files.export": "Export the member list to Excel",
  "files.exportTo": "Save to",
  "files.withCitizenId": "Include citizen IDs (only when really needed)",
  "files.exportButton": "Export",
  "files.exported": "Exported {n} members to {path}.",
  "files.backup": "Backup",
  "files.backupTo": "Backup file",
  "files.backupButton": "Back up now",
  "files.backedUp": "Backed up {n} members to {path}.",
  "files.neverBackedUp": "This laptop has never been backed up.",
  "files.lastBackup": "Last backup: {days} days ago.",
  "files.backupNow": "Back up now",
  "files.restore": "Restore a backup",
  "files.restoreHint": "The current data is kept aside first. After a restore everyone logs in again.",
  "files.restoreFrom": "Backup file",
  "files.restoreConfirm": "I understand the current data will be replaced by the backup",
  "files.restoreButton": "Restore",
  "files.restored": "Restored: {n} members. Please log in again.",
  "settings.language": "Language",
};

const dictionaries: Record<Lang, Record<Key, string>> = { vi, en };

let current: Lang = "vi";

export function getLang(): Lang {
  return current;
}

export function setLang(lang: Lang): void {
  current = lang;
}

export function isLang(value: unknown): value is Lang {
  return typeof value === "string" && (LANGS as readonly string[]).includes(value);
}

/** The text for `key`, with `{name}` placeholders filled from `params`. */
export function t(key: Key, params: Record<string, string | number> = {}, lang: Lang = current): string {
  const text = dictionaries[lang][key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

const SEPARATORS: Record<Lang, { group: string; decimal: string }> = {
  vi: { group: ".", decimal: "," },
  en: { group: ",", decimal: "." },
};

/**
 * A number with thousands grouped and at most `decimals` decimals (trailing zeros dropped):
 * vi `1.646`, `2.500.000`, `522,6`; en `1,646`, `522.6`.
 */
export function formatNumber(value: number, lang: Lang = current, decimals = 0): string {
  if (!Number.isFinite(value)) {
    throw new RangeError(`not a finite number: ${value}`);
  }
  const { group, decimal } = SEPARATORS[lang];
  const negative = value < 0;
  const [int, frac = ""] = Math.abs(value).toFixed(decimals).split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const fraction = frac.replace(/0+$/, "");
  const text = fraction ? `${grouped}${decimal}${fraction}` : grouped;
  return negative && /[1-9]/.test(text) ? `-${text}` : text;
}

const MONEY_WORDS: Record<Lang, { billion: string; million: string; unit: string }> = {
  vi: { billion: "tỷ đồng", million: "triệu đồng", unit: "đồng" },
  en: { billion: "billion VND", million: "million VND", unit: "VND" },
};

/** An amount in đồng written in full: `24.000 đồng`. */
export function formatDong(amount: number, lang: Lang = current): string {
  return `${formatNumber(Math.round(amount), lang)} ${MONEY_WORDS[lang].unit}`;
}

/**
 * An amount in đồng as reports write it, in millions or billions with one decimal:
 * `522,6 triệu đồng`, `1,2 tỷ đồng`; amounts under a million are written in full.
 */
export function formatDongShort(amount: number, lang: Lang = current): string {
  const words = MONEY_WORDS[lang];
  const abs = Math.abs(amount);
  const sign = amount < 0 ? -1 : 1;
  // Tenths of the unit, rounded half away from zero on the amount itself (an exact division),
  // so 522.650.000 is 522,7 and −522.650.000 is −522,7.
  if (abs >= 999_950_000) {
    return `${formatNumber((sign * Math.round(abs / 100_000_000)) / 10, lang, 1)} ${words.billion}`;
  }
  if (abs >= 1_000_000) {
    return `${formatNumber((sign * Math.round(abs / 100_000)) / 10, lang, 1)} ${words.million}`;
  }
  return formatDong(amount, lang);
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/**
 * A date as `dd/mm/yyyy`. Takes an ISO date `yyyy-mm-dd` (what the core sends; read as a
 * calendar date, never shifted by the time zone) or a `Date` (its local calendar date).
 */
export function formatDate(date: string | Date): string {
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new RangeError("invalid Date");
    return `${pad2(date.getDate())}/${pad2(date.getMonth() + 1)}/${date.getFullYear()}`;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  if (!m || !isCalendarDate(+m[1], +m[2], +m[3])) {
    throw new RangeError(`not an ISO date: ${date}`);
  }
  return `${m[3]}/${m[2]}/${m[1]}`;
}

/**
 * Reads `dd/mm/yyyy` (also `d/m/yyyy`, `-` or `.` between parts) into an ISO date
 * `yyyy-mm-dd`; `null` when it is not a real calendar date.
 */
export function parseDate(text: string): string | null {
  const m = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(text);
  if (!m) return null;
  const [d, mo, y] = [+m[1], +m[2], +m[3]];
  if (!isCalendarDate(y, mo, d)) return null;
  return `${y}-${pad2(mo)}-${pad2(d)}`;
}

function isCalendarDate(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}
