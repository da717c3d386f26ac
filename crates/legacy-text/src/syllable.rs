//! A structural check of Vietnamese syllables, used as evidence by [`crate::detect`]: a word is
//! a plausible syllable when its case is consistent (lower, Capitalised or UPPER), it has at
//! most one tone, and it splits into a known initial consonant and a known rhyme, with the
//! rule that rhymes closed by p/t/c/ch only take the acute or dot-below tone. No dictionary:
//! "tõn" passes, "héi", "nguyôn" or "häc" do not.

use std::collections::HashSet;
use std::sync::LazyLock;

use crate::letters::{self, Tone};

/// Initial consonants, longest first so that "ngh" is tried before "ng" and "n".
const INITIALS: [&str; 27] = [
    "ngh", "ng", "gh", "gi", "kh", "nh", "ph", "th", "tr", "ch", "qu", "b", "c", "d", "đ", "g",
    "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
];

/// Toneless rhymes (medial + nucleus + final), including the ones written after "qu"/"gi".
const RHYMES: &str = "\
a ai ao au ay am an ang anh ap at ac ach \
ăm ăn ăng ăp ăt ăc \
âu ây âm ân âng âp ât âc \
e eo em en eng ep et ec \
ê êu êm ên ênh êp êt êch \
i ia iu im in inh ip it ich \
iêu iêm iên iêng iêp iêt iêc \
o oi om on ong op ot oc oong ooc \
ô ôi ôm ôn ông ôp ôt ôc \
ơ ơi ơm ơn ơp ơt \
u ua ui um un ung up ut uc \
uôi uôm uôn uông uôt uôc \
ư ưa ưi ưu ưm ưn ưng ưt ưc \
ươi ươu ươm ươn ương ươp ươt ươc \
y yêu yêm yên yêt ynh ych yt yn \
oa oai oao oay oam oan oang oanh oap oat oac oach \
oăm oăn oăng oăt oăc \
oe oeo oem oen oet \
uân uâng uât uây \
uê uênh uêch \
uy uya uyu uynh uych uyt uyn uyên uyêt \
uơ";

static RHYME_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| RHYMES.split_whitespace().collect());

fn is_rhyme(r: &str) -> bool {
    RHYME_SET.contains(r)
}

/// Whether `word` (letters only) is a plausible Vietnamese syllable.
pub(crate) fn is_valid(word: &str) -> bool {
    let mut toneless = String::with_capacity(word.len());
    let mut tone = Tone::Level;
    let (mut n, mut uppers, mut first_upper) = (0usize, 0usize, false);
    for c in word.chars() {
        // U+00D0 (Icelandic eth) is a common stand-in for Đ in old Unicode data.
        let c = if c == 'Ð' { 'Đ' } else { c };
        let Some(l) = letters::letter(c) else {
            return false;
        };
        if l.upper {
            uppers += 1;
            first_upper |= n == 0;
        }
        n += 1;
        if l.tone != Tone::Level {
            if tone != Tone::Level {
                return false;
            }
            tone = l.tone;
        }
        toneless.push(l.base);
    }
    let case_ok = uppers == 0 || uppers == n || (uppers == 1 && first_upper);
    if n == 0 || !case_ok {
        return false;
    }
    let closed = |rhyme: &str| {
        rhyme.ends_with('p')
            || rhyme.ends_with('t')
            || rhyme.ends_with('c')
            || rhyme.ends_with("ch")
    };
    let fits = |rhyme: &str| {
        is_rhyme(rhyme) && (!closed(rhyme) || matches!(tone, Tone::Acute | Tone::Dot))
    };
    if fits(&toneless) {
        return true;
    }
    INITIALS.iter().any(|initial| {
        toneless.strip_prefix(initial).is_some_and(|rest| {
            // "gi" swallows the i of the rhyme: giếng = gi + (i)êng.
            fits(rest) || (*initial == "gi" && fits(&format!("i{rest}")))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn real_syllables_pass() {
        for w in [
            "Nguyễn",
            "Văn",
            "Ánh",
            "xã",
            "Tân",
            "Hòa",
            "Hoà",
            "NGUYỄN",
            "Được",
            "đặng",
            "trường",
            "tiểu",
            "học",
            "Lê",
            "Lợi",
            "ngày",
            "tháng",
            "năm",
            "Khuyến",
            "Hội",
            "giếng",
            "gì",
            "quốc",
            "Quỳnh",
            "khuya",
            "nghiêng",
            "Thuý",
            "Thủy",
            "uống",
            "Ðà",
            "oanh",
            "chuyện",
        ] {
            assert!(is_valid(w), "{w}");
        }
    }

    #[test]
    fn garbage_fails() {
        for w in [
            "NguyÔn", "häc", "Héi", "café", "naïve", "résumé", "tèt", "V¨n", "Nguyeãn", "Vaên",
            "NGUYEÃN", "hé1", "", "tiÊng", "mộtt", "áà",
        ] {
            assert!(!is_valid(w), "{w}");
        }
    }

    #[test]
    fn a_corpus_of_official_text_names_and_rare_rhymes_passes() {
        let text = "Cộng hòa xã hội chủ nghĩa Việt Nam Độc lập Tự do Hạnh phúc. Quyết định về việc khen thưởng học sinh giỏi năm học 2024 2025. Căn cứ Điều lệ Hội Khuyến học Việt Nam; xét đề nghị của Ban Thường trực, Chủ tịch Hội quyết định: khen thưởng các em có thành tích xuất sắc trong học tập và rèn luyện. Người nhận ký tên, đóng dấu. Ủy ban nhân dân huyện Quỳnh Lưu tỉnh Nghệ An. Thôn Đông Yên, ấp Phước Lợi, khóm Bình Thạnh, buôn Ma Thuột, bản Mường Khương, phường Nguyễn Trãi, thị trấn Thường Xuân, quận Hoàn Kiếm. Họ và tên: Nguyễn Thị Thu Hương, Trần Quốc Toản, Lê Thị Hồng Gấm, Phan Bội Châu, Huỳnh Thúc Kháng, Ngô Quyền, Dương Văn Minh, Khổng Minh Giáp, Vũ Trọng Phụng, Tạ Quang Bửu, Giàng A Páo, Lò Văn Xuyến, Bế Văn Đàn, Quàng Thị Vui, Mùa A Chứ, Hoàng Văn Thụ, Đinh Bộ Lĩnh, Ông Ích Khiêm, Âu Cơ, Lạc Long Quân, Ưng Hoàng Phúc, Yến Nhi, Uyên Phương, Khuê, Oanh, Loan, Thoa, Quyên, Huyền, Tuyền, Khoa, Xoan, Nguyệt, Thuyết, Khuyến, Duyệt, Quỳ, Thủy, Thúy, Tuấn, Khuất, Ngoãn, Hoằng, Xoăn, Ngoặt, Khoắng, Nguýt, Huých, Khuỷu, Giữ gìn, giếng, giặt giũ, nghiêng ngả, khuya khoắt, thuở xưa, huơ tay, quở trách, ngoằn ngoèo, oẳn tù tì, ưỡn ngực, ướt át, ươm tơ, hươu nai, rượu bia, bướu cổ, khướu, phượng, gường, ngoéo tay, khoèo, xoong nồi, quần soóc, boong tàu, cải xoong, ừ hử, ậm ừ, ừm, uỵch, huỵch toẹt, toét, khoét, loẹt quẹt, choèn, quèn, nguẩy, khuấy, quẫy, ngoáy, xoáy, quạu, khoảnh khắc, hoạch định, thoăn thoắt, nhoẻn cười, quềnh quàng, huênh hoang, khuếch đại, ngả nghiêng, trường, chuyện, truyện, khuyết tật, huyết áp, tuyệt vời, quyển vở, quyết, luyến, xuyên, khuynh hướng, quýnh quáng, tuýt còi, huỳnh quang, chăm chỉ, ngoan ngoãn, lễ phép, kính thầy yêu bạn, ý chí, ích lợi, ấm no, ổn định, ủng hộ, ứng dụng, ưu tiên, ước mơ, ở, ạ, ơi, ô tô, êm ái, ếch, ổi, ốc, ướp, ỉu, ỷ lại, yểu điệu";
        let bad: Vec<&str> = text
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty() && !is_valid(w))
            .collect();
        assert!(bad.is_empty(), "{bad:?}");
    }
}
