# Per-target build settings: warnings per target, never global flags.

# edgetwin_configure_target(<target>): warnings, optional -Werror and sanitizers.
function(edgetwin_configure_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Woverloaded-virtual)
  if(EDGETWIN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(EDGETWIN_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# libtorch headers trigger -Wshadow/-Wpedantic/-Wold-style-cast warnings of their own; mark them
# as system headers for the targets that include them so our warnings stay about our code.
function(edgetwin_link_torch target visibility)
  target_link_libraries(${target} ${visibility} ${TORCH_LIBRARIES})
  target_include_directories(${target} SYSTEM ${visibility} ${TORCH_INCLUDE_DIRS})
endfunction()
