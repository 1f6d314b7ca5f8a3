//! Stable diagnostic codes of the compiler. Tools may match on them; they
//! are listed with their meaning in `docs/diagnostics.md`.

pub const SYNTAX: &str = grantline_syntax::SYNTAX_ERROR;
pub const IO: &str = "grantline::io";
pub const NO_POLICIES: &str = "grantline::no-policies";
pub const DUPLICATE_NAME: &str = "grantline::duplicate-name";
pub const DUPLICATE_VALUE: &str = "grantline::duplicate-value";
pub const RESERVED_VALUE: &str = "grantline::reserved-value";
pub const EMPTY_VALUE: &str = "grantline::empty-value";
pub const UNKNOWN_WORD: &str = "grantline::unknown-word";
pub const AMBIGUOUS_WORD: &str = "grantline::ambiguous-word";
pub const UNKNOWN_ATTRIBUTE: &str = "grantline::unknown-attribute";
pub const UNKNOWN_VALUE: &str = "grantline::unknown-value";
pub const TYPE_MISMATCH: &str = "grantline::type-mismatch";
pub const MIXED_ATTRIBUTES: &str = "grantline::mixed-attributes";
pub const UNKNOWN_ENTITLEMENT: &str = "grantline::unknown-entitlement";
pub const UNKNOWN_ROLE: &str = "grantline::unknown-role";
pub const ROLE_CYCLE: &str = "grantline::role-cycle";
pub const DUPLICATE_PROPERTY: &str = "grantline::duplicate-property";
pub const BAD_DATE: &str = "grantline::bad-date";
pub const BAD_NUMBER: &str = "grantline::bad-number";
pub const BAD_DURATION: &str = "grantline::bad-duration";
pub const BAD_TIMEZONE: &str = "grantline::bad-timezone";
pub const DUPLICATE_TIMEZONE: &str = "grantline::duplicate-timezone";
pub const DUPLICATE_CLAUSE: &str = "grantline::duplicate-clause";
pub const EMPTY_WINDOW: &str = "grantline::empty-window";
pub const DENY_CLAUSE: &str = "grantline::deny-clause";
pub const OVERLAPPING_SEPARATION: &str = "grantline::overlapping-separation";
pub const KEY_ATTRIBUTE: &str = "grantline::key-attribute";
pub const CHECK_MODULE: &str = "grantline::check-module";
pub const UNKNOWN_CHECK: &str = "grantline::unknown-check";

/// Every code with a one-line meaning, for documentation and `--explain`.
pub const ALL: &[(&str, &str)] = &[
    (SYNTAX, "the text does not follow the grammar"),
    (IO, "a policy file or folder could not be read"),
    (NO_POLICIES, "the policy folder holds no `.grant` file"),
    (
        DUPLICATE_NAME,
        "an attribute, entitlement, role or rule is declared twice",
    ),
    (
        DUPLICATE_VALUE,
        "a value appears twice in one attribute's value set",
    ),
    (
        RESERVED_VALUE,
        "a declared value is a reserved word and must be quoted",
    ),
    (EMPTY_VALUE, "a quoted value or name is empty"),
    (
        UNKNOWN_WORD,
        "a condition word is no value or flag of the schema",
    ),
    (
        AMBIGUOUS_WORD,
        "a condition word is a value of more than one attribute",
    ),
    (
        UNKNOWN_ATTRIBUTE,
        "a `where` comparison or time window names no declared attribute",
    ),
    (
        UNKNOWN_VALUE,
        "a compared value is not in the attribute's value set",
    ),
    (
        TYPE_MISMATCH,
        "an operator or value does not fit the attribute's type",
    ),
    (
        MIXED_ATTRIBUTES,
        "`in X or Y` joins values of different attributes",
    ),
    (
        UNKNOWN_ENTITLEMENT,
        "an entitlement is not in the catalogue",
    ),
    (UNKNOWN_ROLE, "a role is not declared"),
    (
        ROLE_CYCLE,
        "roles include each other in a cycle, or more than 16 levels deep",
    ),
    (DUPLICATE_PROPERTY, "an entitlement property is given twice"),
    (BAD_DATE, "a date is not a real calendar date"),
    (BAD_NUMBER, "a number is out of range"),
    (BAD_DURATION, "a duration is zero or too long"),
    (BAD_TIMEZONE, "the time zone is not a known IANA zone"),
    (
        DUPLICATE_TIMEZONE,
        "the time zone is declared more than once",
    ),
    (
        DUPLICATE_CLAUSE,
        "a rule repeats `from`, `until`, `for` or `requires approval`",
    ),
    (EMPTY_WINDOW, "a rule's time window closes before it opens"),
    (DENY_CLAUSE, "a deny rule has a clause only grants can have"),
    (
        OVERLAPPING_SEPARATION,
        "both sides of a `separate` hold the same entitlement, so everyone who has it conflicts",
    ),
    (
        KEY_ATTRIBUTE,
        "a `key` attribute is not text or number, or a second attribute is marked `key`",
    ),
    (
        CHECK_MODULE,
        "a custom check's module is missing, not valid WebAssembly, imports what the sandbox does not offer, or lacks the check interface",
    ),
    (UNKNOWN_CHECK, "`passing NAME` names no declared check"),
];
