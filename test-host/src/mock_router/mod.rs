//! A realistic local stand-in for the Hugging Face router.
