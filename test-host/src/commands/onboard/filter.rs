//! How a dropdown's typed filter picks and orders its options: what was
//! typed exactly first, then what starts with it, contains it, contains
//! each of its words, and last what has its letters in order. A full ref
//! typed whole is first, ahead of the longer ids that merely start with it
//! (a fuzzy score alone put a distill ahead of `DeepSeek-R1` itself).

/// How well an option matches; lower is better: the rank, then the length
/// of the text that matched (the plain model before its longer variants).
/// Options that tie keep their order in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Score {
    /// How the filter matched.
    pub rank: Rank,
    /// Characters of the text it matched.
    pub length: usize,
}

/// How the filter matched an option's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    /// A text of the option is the filter (a ref also without its
    /// `huggingface/` prefix).
    Exact,
    /// A text starts with the filter.
    Prefix,
    /// A text contains the filter (the earlier, the better).
    Contains(usize),
    /// A text contains every word of the filter.
    Words,
    /// A text has the filter's characters in order (the tighter, the better).
    Scattered(usize),
}

/// The prefix of model refs, which a user may or may not type.
const REF_PREFIX: &str = "huggingface/";

/// The best score of `filter` among `texts` (case-insensitive), `None` when
/// none matches. An empty filter matches everything alike.
pub fn score<'t>(filter: &str, texts: impl IntoIterator<Item = &'t str>) -> Option<Score> {
    let filter = filter.trim().to_lowercase();
    if filter.is_empty() {
        return Some(Score {
            rank: Rank::Exact,
            length: 0,
        });
    }
    texts
        .into_iter()
        .filter_map(|text| {
            let text = text.to_lowercase();
            rank_one(&filter, &text).map(|rank| Score {
                rank,
                length: text.chars().count(),
            })
        })
        .min()
}

fn rank_one(filter: &str, text: &str) -> Option<Rank> {
    let bare = text.strip_prefix(REF_PREFIX);
    if text == filter || bare == Some(filter) {
        return Some(Rank::Exact);
    }
    if text.starts_with(filter) || bare.is_some_and(|b| b.starts_with(filter)) {
        return Some(Rank::Prefix);
    }
    if let Some(at) = text.find(filter) {
        return Some(Rank::Contains(text[..at].chars().count()));
    }
    let mut words = filter.split_whitespace();
    if words.clone().count() > 1 && words.all(|w| text.contains(w)) {
        return Some(Rank::Words);
    }
    scattered(filter, text).map(Rank::Scattered)
}

/// The span of the shortest-started match of `filter`'s characters, in
/// order, in `text`; `None` when they are not all there.
fn scattered(filter: &str, text: &str) -> Option<usize> {
    let mut wanted = filter.chars().filter(|c| !c.is_whitespace()).peekable();
    let (mut first, mut last) = (None, 0);
    for (i, c) in text.chars().enumerate() {
        if wanted.peek() == Some(&c) {
            wanted.next();
            first.get_or_insert(i);
            last = i;
        }
    }
    match (wanted.peek(), first) {
        (None, Some(first)) => Some(last - first),
        _ => None,
    }
}

/// The positions of `items` that match `filter`, best first; ties keep
/// the list's order.
pub fn filtered<T>(items: &[T], filter: &str, texts: impl Fn(&T) -> Vec<String>) -> Vec<usize> {
    let mut ranked: Vec<(Score, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| {
            let texts = texts(item);
            score(filter, texts.iter().map(String::as_str)).map(|s| (s, i))
        })
        .collect();
    ranked.sort();
    ranked.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(filter: &str, items: &[(&str, &str)]) -> Vec<String> {
        filtered(items, filter, |(label, r)| {
            vec![(*label).to_string(), (*r).to_string()]
        })
        .into_iter()
        .map(|i| items[i].1.to_string())
        .collect()
    }

    const ITEMS: [(&str, &str); 5] = [
        (
            "DeepSeek R1 Distill Qwen 7B",
            "huggingface/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        ),
        (
            "DeepSeek R1 (cheapest)",
            "huggingface/deepseek-ai/DeepSeek-R1:cheapest",
        ),
        ("DeepSeek R1", "huggingface/deepseek-ai/DeepSeek-R1"),
        ("Qwen3 8B (fastest)", "huggingface/Qwen/Qwen3-8B:fastest"),
        ("Qwen3 8B", "huggingface/Qwen/Qwen3-8B"),
    ];

    #[test]
    fn a_ref_typed_whole_comes_first_with_or_without_its_prefix() {
        for typed in [
            "huggingface/deepseek-ai/DeepSeek-R1",
            "deepseek-ai/deepseek-r1",
            "DeepSeek R1",
        ] {
            let got = order(typed, &ITEMS);
            assert_eq!(
                got[0], "huggingface/deepseek-ai/DeepSeek-R1",
                "{typed}: {got:?}"
            );
            assert_eq!(got.len(), 3, "{typed}: {got:?}");
        }
    }

    #[test]
    fn substrings_words_then_scattered_letters() {
        assert_eq!(
            order("Qwen3-8B:fastest", &ITEMS),
            ["huggingface/Qwen/Qwen3-8B:fastest"]
        );
        assert_eq!(
            order("8b fastest", &ITEMS),
            ["huggingface/Qwen/Qwen3-8B:fastest"]
        );
        // A prefix beats a substring; a shorter match (the plain model)
        // beats a longer one (its variant); letters in order come last.
        assert_eq!(
            order("qwen", &ITEMS),
            [
                "huggingface/Qwen/Qwen3-8B",
                "huggingface/Qwen/Qwen3-8B:fastest",
                "huggingface/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
            ]
        );
        assert_eq!(
            order("dsr1", &ITEMS),
            [
                "huggingface/deepseek-ai/DeepSeek-R1",
                "huggingface/deepseek-ai/DeepSeek-R1:cheapest",
                "huggingface/deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
            ]
        );
        assert!(order("zzz", &ITEMS).is_empty());
        assert_eq!(order("  ", &ITEMS).len(), ITEMS.len());
    }
}
