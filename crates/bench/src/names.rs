//! Realistic generated Vietnamese members: family names in roughly their national shares,
//! middle and given names by gender, birth dates, phones and branches.

pub const BRANCHES: [&str; 10] = [
    "Thôn 1",
    "Thôn 2",
    "Thôn 3",
    "Thôn Đông",
    "Thôn Tây",
    "Xóm Mới",
    "Khu phố Bắc",
    "Ấp Chợ",
    "Trường Tiểu học",
    "Trạm Y tế",
];

const FAMILY: [(&str, u32); 16] = [
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 71),
    ("Hoàng", 31),
    ("Huỳnh", 20),
    ("Phan", 45),
    ("Vũ", 22),
    ("Võ", 17),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
];
const MIDDLE_MALE: [&str; 10] = [
    "Văn", "Đức", "Minh", "Hữu", "Quang", "Công", "Thanh", "Xuân", "Đình", "Quốc",
];
const MIDDLE_FEMALE: [&str; 8] = [
    "Thị",
    "Ngọc",
    "Thu",
    "Thanh",
    "Minh",
    "Kim",
    "Phương",
    "Thị Thanh",
];
const GIVEN_MALE: [&str; 30] = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Đức", "Hải", "Hiếu", "Hùng", "Huy", "Khang", "Khánh",
    "Lâm", "Long", "Mạnh", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài",
    "Thắng", "Thành", "Toàn", "Trung", "Tuấn", "Việt",
];
const GIVEN_FEMALE: [&str; 30] = [
    "Anh", "Ánh", "Bích", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hằng", "Hạnh", "Hoa", "Hồng",
    "Hương", "Huyền", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngân", "Nhung", "Oanh",
    "Phương", "Quyên", "Thảo", "Trang", "Uyên", "Yến",
];

pub struct Person {
    pub name: String,
    pub female: bool,
    pub birth: String,
    pub phone: String,
    pub branch: &'static str,
}

pub fn person(rng: &mut fastrand::Rng, i: usize) -> Person {
    let total: u32 = FAMILY.iter().map(|(_, w)| w).sum();
    let mut pick = rng.u32(0..total);
    let family = FAMILY
        .iter()
        .find(|(_, w)| {
            if pick < *w {
                true
            } else {
                pick -= w;
                false
            }
        })
        .map(|(f, _)| *f)
        .unwrap_or("Nguyễn");
    let female = rng.bool();
    let (middle, given) = if female {
        (
            MIDDLE_FEMALE[rng.usize(0..MIDDLE_FEMALE.len())],
            GIVEN_FEMALE[rng.usize(0..GIVEN_FEMALE.len())],
        )
    } else {
        (
            MIDDLE_MALE[rng.usize(0..MIDDLE_MALE.len())],
            GIVEN_MALE[rng.usize(0..GIVEN_MALE.len())],
        )
    };
    // Birth date and branch are distinct together for up to 270,000 people, so no two generated
    // people are the same person (same name + birth + branch).
    let start = jiff::civil::date(1930, 1, 1);
    let birth = start
        .checked_add(jiff::Span::new().days(((i / BRANCHES.len()) % 27_000) as i64))
        .expect("in range");
    Person {
        name: format!("{family} {middle} {given}"),
        female,
        birth: birth.strftime("%d/%m/%Y").to_string(),
        phone: format!("09{:08}", rng.u32(0..100_000_000)),
        branch: BRANCHES[i % BRANCHES.len()],
    }
}
