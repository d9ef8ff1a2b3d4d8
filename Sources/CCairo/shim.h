// Cairo (SVG and PNG surfaces) and FreeType, so that figures use a font loaded from a fixed file.
#include <cairo/cairo.h>
#include <cairo/cairo-svg.h>
#include <cairo/cairo-ft.h>
#include <ft2build.h>
#include FT_FREETYPE_H
