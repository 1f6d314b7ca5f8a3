//! Reading a population (`--people`): written by the population helper.
