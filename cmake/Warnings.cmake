# One interface target carries the project's compile policy so that every
# library, plugin and test gets the same flags.
add_library(spotguide_flags INTERFACE)
target_compile_options(spotguide_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
  -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
  # Designated initializers that omit fields are how schemas are declared.
  -Wno-missing-field-initializers)
if(CMAKE_UNITY_BUILD)
  # A unity build includes each .cpp into a generated one, so GCC takes
  # types from a source file's anonymous namespace for header types and
  # warns about their linkage; in a unity build that is not a defect.
  target_compile_options(spotguide_flags INTERFACE -Wno-subobject-linkage)
endif()
if(SPOTGUIDE_WERROR)
  target_compile_options(spotguide_flags INTERFACE -Werror)
endif()
if(SPOTGUIDE_SANITIZE)
  target_compile_options(spotguide_flags INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(spotguide_flags INTERFACE -fsanitize=address,undefined)
endif()
