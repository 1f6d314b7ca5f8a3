use crate::registry::Rule;

pub(crate) fn rules() -> Vec<&'static dyn Rule> {
    vec![]
}
