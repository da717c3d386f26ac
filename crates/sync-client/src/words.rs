//! What a sync did and what is wrong with it, in the officer's words (Vietnamese), shared by
//! the command line and the desktop app so both say the same thing.

use khuyenhoc_domain::money::format_int_vi as n;
use khuyenhoc_store::SyncStatus;

use crate::engine::SyncSummary;

/// One sentence on what a sync did.
pub fn summary_vi(s: &SyncSummary) -> String {
    let mut text = format!(
        "Đã gửi {} thay đổi, nhận {} thay đổi.",
        n(s.pushed as i64),
        n(s.pulled as i64)
    );
    if let Some(requeued) = s.server_restored {
        text.push_str(&format!(
            " Máy chủ đã được khôi phục từ bản sao lưu: đã gửi lại {} thay đổi và nhận lại toàn bộ dữ liệu.",
            n(requeued as i64)
        ));
    }
    if let Some(dropped) = s.rebootstrapped {
        text.push_str(" Máy đã lâu không đồng bộ nên đã tải lại toàn bộ dữ liệu từ máy chủ.");
        if dropped > 0 {
            text.push_str(&format!(
                " {} bản ghi đã bị xóa ở nơi khác được gỡ khỏi máy.",
                n(dropped as i64)
            ));
        }
    }
    if s.relayed > 0 {
        text.push_str(&format!(
            " Đã chuyển {} tệp thay đổi của máy khác lên máy chủ.",
            n(s.relayed as i64)
        ));
    }
    if s.conflicts > 0 {
        text.push_str(&format!(" {} xung đột cần xem lại.", n(s.conflicts as i64)));
    }
    if s.rejected > 0 {
        text.push_str(&format!(
            " Máy chủ từ chối {} thay đổi.",
            n(s.rejected as i64)
        ));
    }
    text
}

/// The warning shown when the laptop's clock is more than a day off, if it is.
pub fn clock_warning_vi(status: &SyncStatus) -> Option<String> {
    let offset = status.clock_offset_ms.filter(|_| status.clock_warning)?;
    let days = (offset.abs() as f64 / 86_400_000.0).round().max(1.0) as i64;
    let way = if offset > 0 { "chậm" } else { "nhanh" };
    Some(format!(
        "Đồng hồ của máy này {way} khoảng {} ngày so với máy chủ: hãy chỉnh lại ngày giờ của máy \
         (ngày trên biên lai và báo cáo lấy từ đồng hồ này).",
        n(days)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(offset: Option<i64>, warning: bool) -> SyncStatus {
        SyncStatus {
            pending: 0,
            parked: 0,
            conflicts: 0,
            pull_cursor: 0,
            server_epoch: None,
            last_success_ms: None,
            last_error: None,
            clock_offset_ms: offset,
            clock_warning: warning,
        }
    }

    #[test]
    fn a_laptop_behind_the_server_is_told_it_is_slow() {
        let text = clock_warning_vi(&status(Some(3 * 86_400_000), true)).unwrap();
        assert!(text.contains("chậm khoảng 3 ngày"), "{text}");
        let text = clock_warning_vi(&status(Some(-2 * 86_400_000), true)).unwrap();
        assert!(text.contains("nhanh khoảng 2 ngày"), "{text}");
        assert_eq!(clock_warning_vi(&status(Some(1_000), false)), None);
    }

    #[test]
    fn a_summary_names_a_restored_server_and_uses_vietnamese_numbers() {
        let s = SyncSummary {
            pushed: 1_646,
            pulled: 12,
            server_restored: Some(1_200),
            ..Default::default()
        };
        let text = summary_vi(&s);
        assert!(
            text.starts_with("Đã gửi 1.646 thay đổi, nhận 12 thay đổi."),
            "{text}"
        );
        assert!(text.contains("đã gửi lại 1.200 thay đổi"), "{text}");
    }

    #[test]
    fn a_summary_names_a_pull_from_zero_after_a_purge() {
        let s = SyncSummary {
            pulled: 3_000,
            rebootstrapped: Some(2),
            ..Default::default()
        };
        let text = summary_vi(&s);
        assert!(text.contains("tải lại toàn bộ dữ liệu"), "{text}");
        assert!(text.contains("2 bản ghi đã bị xóa ở nơi khác"), "{text}");
    }
}
