//! Every page renders in both languages with strict undefined; both locale files have the same
//! keys; user-provided names are escaped.

use lantian_server::pages::sample_context;
use lantian_server::web::{EN_SOURCE, Lang, PAGES, Web, ZH_SOURCE, parse_locale};
use std::collections::BTreeSet;

#[test]
fn locale_files_have_the_same_keys() {
    let zh = parse_locale("zh-CN.toml", ZH_SOURCE).unwrap();
    let en = parse_locale("en.toml", EN_SOURCE).unwrap();
    let zk: BTreeSet<_> = zh.keys().collect();
    let ek: BTreeSet<_> = en.keys().collect();
    assert_eq!(
        zk.symmetric_difference(&ek).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "keys in one locale file only"
    );
    assert!(zh.len() > 100);
}

#[test]
fn locale_parser_names_file_and_line() {
    assert_eq!(
        parse_locale("x.toml", "a = \"1\"\nb = 2\n").unwrap_err(),
        "x.toml:2: value of b is not a quoted string"
    );
    assert!(
        parse_locale("x.toml", "a = \"1\"\na = \"2\"")
            .unwrap_err()
            .contains("twice")
    );
    assert_eq!(
        parse_locale("x.toml", "# c\n\nk = \"say \\\"hi\\\"\"").unwrap()["k"],
        "say \"hi\""
    );
}

#[test]
fn every_page_renders_in_both_languages_and_escapes() {
    let web = Web::new();
    for lang in Lang::ALL {
        for page in PAGES {
            let html = web
                .render(page, sample_context(page, lang))
                .unwrap_or_else(|e| panic!("{page} in {}: {e:#}", lang.tag()));
            assert!(html.contains(&format!("<html lang=\"{}\">", lang.tag())));
            assert!(
                !html.contains("<script>alert(1)</script>"),
                "{page}: unescaped user name"
            );
            if page != "login.html" {
                assert!(html.contains("&lt;script&gt;alert(1)&lt;"), "{page}");
            }
            // Every nav section is a real page now: no slot is left marked "not yet".
            if page != "login.html" {
                assert!(!html.contains("data-slot="), "{page}");
                assert!(html.contains("href=\"/sources\""), "{page}");
                assert!(html.contains("href=\"/inspections\""), "{page}");
                assert!(html.contains("href=\"/ledger\""), "{page}");
            }
        }
    }
    let zh = web
        .render("overview.html", sample_context("overview.html", Lang::Zh))
        .unwrap();
    assert!(zh.contains("总览") && zh.contains("&lt;b&gt;站&lt;&#x2f;b&gt;"));
    let en = web
        .render("overview.html", sample_context("overview.html", Lang::En))
        .unwrap();
    assert!(en.contains("Overview") && !en.contains("总览"));
}

#[test]
fn a_missing_translation_fails_the_page() {
    let web = Web::new();
    let ctx =
        minijinja::context! { code => "no_such_code", ..sample_context("error.html", Lang::En) };
    let err = web.render("error.html", ctx).unwrap_err();
    assert!(format!("{err:#}").contains("error.no_such_code"), "{err:#}");
}

#[test]
fn the_record_pages_show_their_content_escaped() {
    let web = Web::new();
    let zh = |page: &str| web.render(page, sample_context(page, Lang::Zh)).unwrap();
    let en = |page: &str| web.render(page, sample_context(page, Lang::En)).unwrap();
    let cases = zh("cases.html");
    assert!(cases.contains("&lt;script&gt;alert(3)&lt;"), "{cases}");
    assert!(!cases.contains("<script>alert(3)"));
    assert!(cases.contains("已告知") && cases.contains("&lt;b&gt;某公司"));
    assert!(cases.contains("href=\"/sources/S001\"") && cases.contains("50000.00"));
    assert!(cases.contains("name=\"csrf\"") && cases.contains("&lt;script&gt;no"));
    let case = zh("case.html");
    for action in [
        "investigate",
        "notify",
        "decide_penalty",
        "execute",
        "close",
    ] {
        assert!(case.contains(&format!("id=\"act-{action}\"")), "{action}");
    }
    assert!(case.contains("data-upload=\"/cases/3/evidence\""));
    assert!(case.contains("&lt;b&gt;裸土") && case.contains("王五、赵六"));
    assert!(en("case.html").contains("Serve prior notice"));
    let source = zh("source.html");
    assert!(source.contains("&lt;script&gt;alert(4)&lt;") && source.contains("已销号"));
    assert!(source.contains("href=\"/problems/7\"") && source.contains("href=\"/cases/3\""));
    let sources = zh("sources.html");
    assert!(sources.contains("工地") && sources.contains("source=S001"));
    let acc = zh("accountability.html");
    assert!(acc.contains("约谈") && acc.contains("&lt;script&gt;alert(5)&lt;"));
    assert!(acc.contains("action=\"/accountability\""));
    let rank = zh("rankings.html");
    assert!(rank.contains("&lt;b&gt;阳庙镇") && rank.contains("6.12") && rank.contains("75.0%"));
    assert!(rank.contains("href=\"/ledger?unit=u1&amp;overdue=1\""));
    assert!(en("rankings.html").contains("On-time closure"));
    // The four pages are in the nav, no longer slots.
    for href in ["/sources", "/cases", "/accountability", "/rankings"] {
        assert!(cases.contains(&format!("href=\"{href}\"")), "{href}");
    }
    assert!(!cases.contains("data-slot=\"rankings\""));
}
