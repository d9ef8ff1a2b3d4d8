// cmark-gfm, GitHub's CommonMark + GFM parser, for the report's Markdown to HTML.
#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
