# Turns one file into a C byte array: IN (path), OUT (.c path), NAME
# (symbol). The array is NUL-terminated; NAME_len holds the length.
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
file(WRITE ${OUT}.tmp "/* Generated from ${IN} by server/embed_file.cmake; do not edit. */\n#include <stddef.h>\nconst char ${NAME}[] = {${hex}0};\nconst size_t ${NAME}_len = sizeof ${NAME} - 1;\n")
file(RENAME ${OUT}.tmp ${OUT})
