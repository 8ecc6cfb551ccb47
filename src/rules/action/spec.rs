//! What each action takes: names, parameter kinds, which are required,
//! and which exclude each other. The checker, the JSON Schema and the docs
//! all read this one table.

use super::super::vocab::{DETECT_KINDS, HTTP_METHODS, IF_MISSING, LOG_LEVELS};

/// The shape of one parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A template string.
    Text,
    /// One template string or an array of them.
    Texts,
    /// `true` or `false`.
    Flag,
    /// One of a fixed set of words (not a template).
    Choice(&'static [&'static str]),
    /// A humantime duration (`30s`, `5m`).
    Duration,
    /// A table of names to template strings (`query`, `fields`, `headers`).
    Map,
    /// An array of template strings run without a shell.
    Argv,
    /// JSON built from a table (string leaves are templates) or one template.
    Body,
    /// A table of tag kinds to lists (or `"A|B"` strings).
    Tags,
}

/// One parameter of an action.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Param {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
    /// What the parameter is for (schema and docs).
    pub(crate) doc: &'static str,
}

/// One action name with its parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spec {
    pub(crate) name: &'static str,
    pub(crate) doc: &'static str,
    pub(crate) params: &'static [Param],
    /// Groups of parameters of which exactly one must be given.
    pub(crate) one_of: &'static [&'static [&'static str]],
}

const fn p(name: &'static str, kind: Kind, doc: &'static str) -> Param {
    Param {
        name,
        kind,
        required: false,
        doc,
    }
}

const fn req(name: &'static str, kind: Kind, doc: &'static str) -> Param {
    Param {
        name,
        kind,
        required: true,
        doc,
    }
}

const ITEM: Param = p(
    "item",
    Kind::Text,
    "The item id (ratingKey); default: the event's item.",
);

/// `upload_poster` and `upload_art` take the same parameters.
const IMAGE_PARAMS: &[Param] = &[
    ITEM,
    p("file", Kind::Text, "A local image file."),
    p("url", Kind::Text, "An image URL Plex downloads."),
    p(
        "if_missing",
        Kind::Choice(IF_MISSING),
        "When the file does not exist: skip (default) or fail.",
    ),
];

/// Every action, in SPEC §5 order.
pub(crate) const SPECS: &[Spec] = &[
    Spec {
        name: "scan",
        doc: "Partial scan of folders: `paths`, or `missing = true` for folders on disk Plex still lacks.",
        params: &[
            p(
                "paths",
                Kind::Texts,
                "Local paths to scan; mapped, coalesced to folders, grouped by section.",
            ),
            p(
                "missing",
                Kind::Flag,
                "Scan the folders on disk under the section's locations that no item lives in.",
            ),
            p(
                "section",
                Kind::Text,
                "With `missing`: the section id; default: the event's section.",
            ),
            p(
                "under",
                Kind::Texts,
                "With `missing`: only look under these folders.",
            ),
        ],
        one_of: &[&["paths", "missing"]],
    },
    Spec {
        name: "refresh_section",
        doc: "Full scan of a section.",
        params: &[
            p(
                "section",
                Kind::Text,
                "The section id; default: the event's section.",
            ),
            p(
                "wait",
                Kind::Flag,
                "Follow the scan activity to its end before the next action.",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "refresh",
        doc: "Refresh an item's metadata.",
        params: &[ITEM],
        one_of: &[],
    },
    Spec {
        name: "analyze",
        doc: "Analyze an item's media.",
        params: &[ITEM],
        one_of: &[],
    },
    Spec {
        name: "match",
        doc: "Match an item to a guid or an external id.",
        params: &[
            ITEM,
            p(
                "guid",
                Kind::Text,
                "A guid: plex://movie/5d7768… is applied as is; tmdb://N, imdb://tt…, tvdb://N are searched like `tmdb`.",
            ),
            p("tmdb", Kind::Text, "A TMDB id."),
            p("imdb", Kind::Text, "An IMDb id (tt…)."),
            p("tvdb", Kind::Text, "A TVDB id."),
            p(
                "agent",
                Kind::Text,
                "The agent to search with; default: the section's.",
            ),
        ],
        one_of: &[&["guid", "tmdb", "imdb", "tvdb"]],
    },
    Spec {
        name: "unmatch",
        doc: "Unmatch an item.",
        params: &[ITEM],
        one_of: &[],
    },
    Spec {
        name: "edit",
        doc: "Set metadata fields, locked by default.",
        params: &[
            ITEM,
            req(
                "fields",
                Kind::Map,
                "Field names to values, e.g. { title = \"…\", year = \"1999\" }.",
            ),
            p(
                "lock",
                Kind::Flag,
                "Lock the edited fields so a refresh keeps them (default true).",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "tags",
        doc: "Add, remove or set tags (genre, director, writer, collection, label).",
        params: &[
            ITEM,
            p("add", Kind::Tags, "Tags to add, keeping the existing ones."),
            p("remove", Kind::Tags, "Tags to remove."),
            p("set", Kind::Tags, "Tags replacing the existing ones."),
        ],
        one_of: &[&["add", "remove", "set"]],
    },
    Spec {
        name: "upload_poster",
        doc: "Upload a poster from a local file or a URL.",
        params: IMAGE_PARAMS,
        one_of: &[&["file", "url"]],
    },
    Spec {
        name: "upload_art",
        doc: "Upload a background from a local file or a URL.",
        params: IMAGE_PARAMS,
        one_of: &[&["file", "url"]],
    },
    Spec {
        name: "detect",
        doc: "Detect intros, credits, voice or ads, or make chapter thumbnails, on an item (heavy: use `when_idle`).",
        params: &[
            ITEM,
            req(
                "kind",
                Kind::Choice(DETECT_KINDS),
                "intro (episodes only; other items are skipped), credits, chapters, voice or ads.",
            ),
            p(
                "force",
                Kind::Flag,
                "Run again where Plex already did it (default false: Plex skips done items).",
            ),
            p(
                "wait",
                Kind::Flag,
                "Follow the activity to its end before the next action.",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "collection",
        doc: "Put the item in a collection (created when missing) or take it out; or keep a smart collection with `filter`.",
        params: &[
            ITEM,
            req("title", Kind::Text, "The collection's title."),
            p(
                "remove",
                Kind::Flag,
                "Take the item out instead of putting it in.",
            ),
            p(
                "filter",
                Kind::Text,
                "Make it a smart collection of this filter, written the way Plex Web writes it (`genre=Action&year>>=2000`); created once, no item needed.",
            ),
            p(
                "section",
                Kind::Text,
                "The section id; default: the event's section (else the item's).",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "cancel_activity",
        doc: "Cancel a server activity.",
        params: &[req(
            "uuid",
            Kind::Text,
            "The activity uuid, e.g. {{ event.activity.uuid }}.",
        )],
        one_of: &[],
    },
    Spec {
        name: "webhook",
        doc: "POST JSON to an HTTP endpoint.",
        params: &[
            req("url", Kind::Text, "The endpoint."),
            p(
                "body",
                Kind::Body,
                "The JSON body: a table (string values are templates) or one template; default: the event.",
            ),
            p("headers", Kind::Map, "Extra request headers."),
            p(
                "timeout",
                Kind::Duration,
                "Give up after this long (default 30s).",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "exec",
        doc: "Run a program with arguments (never a shell); the event arrives as JSON on stdin.",
        params: &[
            req(
                "argv",
                Kind::Argv,
                "The program and its arguments, each a template.",
            ),
            p(
                "timeout",
                Kind::Duration,
                "Kill the program after this long (default 30s).",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "log",
        doc: "Write a log line.",
        params: &[
            req("message", Kind::Text, "The message."),
            p(
                "level",
                Kind::Choice(LOG_LEVELS),
                "error, warn, info (default), debug or trace.",
            ),
        ],
        one_of: &[],
    },
    Spec {
        name: "plex",
        doc: "A raw request to the configured Plex server (escape hatch).",
        params: &[
            req(
                "method",
                Kind::Choice(HTTP_METHODS),
                "GET, PUT, POST or DELETE.",
            ),
            req("path", Kind::Text, "The path, starting with `/`; no host."),
            p(
                "query",
                Kind::Map,
                "Query parameters, percent-encoded for you.",
            ),
        ],
        one_of: &[],
    },
];

/// Action names, for did-you-mean.
pub(crate) fn names() -> Vec<&'static str> {
    SPECS.iter().map(|s| s.name).collect()
}
