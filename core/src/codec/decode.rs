//! (codec helper fills this in)
