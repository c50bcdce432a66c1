//! The model catalog: built-in models, discovery, merge, names, resolve.
