# edgetwin_cli_test(): one command-line ctest that checks the exact exit code and the output.
#
#   edgetwin_cli_test(NAME <name> CODE <n>
#                     [REGEX <re>...] [STDOUT_REGEX <re>...] [STDERR_REGEX <re>...] [NOT_REGEX <re>...]
#                     LABELS quick|slow [<label>...]
#                     [FIXTURES_SETUP <f>...] [FIXTURES_REQUIRED <f>...] [TIMEOUT <s>]
#                     [ENVIRONMENT <k=v>...] [WORKING_DIRECTORY <dir>]
#                     COMMAND <target-or-program> <arg>...)
#
# The test runs tests/cli/expect.py (with /usr/bin/python3), which requires exit code CODE and that
# every REGEX matches stdout and stderr together (STDOUT_/STDERR_REGEX: one stream; NOT_REGEX: must
# not match), each with Python's re.search(..., re.S); on failure it prints both codes, the failing
# regex and the last 40 lines of output. A CMake target as the first COMMAND word (edgetwin) is
# replaced by its file. Every such test gets the labels `cli` and `python`; LABELS must say
# `quick` (under ~2 s) or `slow` (tests/README.md). Regexes are CMake list items: no ';' and no
# unbalanced '[' or ']' (write \\x5b / \\x5d).

set(EDGETWIN_PYTHON /usr/bin/python3)
set(EDGETWIN_EXPECT "${CMAKE_CURRENT_LIST_DIR}/expect.py")

function(edgetwin_cli_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "NAME;CODE;TIMEOUT;WORKING_DIRECTORY"
    "REGEX;STDOUT_REGEX;STDERR_REGEX;NOT_REGEX;LABELS;FIXTURES_SETUP;FIXTURES_REQUIRED;ENVIRONMENT;COMMAND")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "edgetwin_cli_test(${arg_NAME}): unexpected arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_NAME OR NOT DEFINED arg_CODE OR NOT arg_COMMAND)
    message(FATAL_ERROR "edgetwin_cli_test: NAME, CODE and COMMAND are required")
  endif()
  if(NOT "quick" IN_LIST arg_LABELS AND NOT "slow" IN_LIST arg_LABELS)
    message(FATAL_ERROR "edgetwin_cli_test(${arg_NAME}): LABELS must include quick or slow")
  endif()
  list(POP_FRONT arg_COMMAND program)
  if(TARGET ${program})
    set(program "$<TARGET_FILE:${program}>")
  endif()
  set(checks --code ${arg_CODE})
  foreach(re IN LISTS arg_REGEX)
    list(APPEND checks "--output-regex=${re}")
  endforeach()
  foreach(re IN LISTS arg_STDOUT_REGEX)
    list(APPEND checks "--stdout-regex=${re}")
  endforeach()
  foreach(re IN LISTS arg_STDERR_REGEX)
    list(APPEND checks "--stderr-regex=${re}")
  endforeach()
  foreach(re IN LISTS arg_NOT_REGEX)
    list(APPEND checks "--not-output-regex=${re}")
  endforeach()
  if(arg_WORKING_DIRECTORY)
    list(APPEND checks --cwd "${arg_WORKING_DIRECTORY}")
  endif()
  add_test(NAME ${arg_NAME} COMMAND ${EDGETWIN_PYTHON} ${EDGETWIN_EXPECT} ${checks} -- ${program} ${arg_COMMAND})
  set(labels cli python ${arg_LABELS})
  list(REMOVE_DUPLICATES labels)
  set_tests_properties(${arg_NAME} PROPERTIES LABELS "${labels}")
  foreach(property FIXTURES_SETUP FIXTURES_REQUIRED ENVIRONMENT)
    if(arg_${property})
      set_tests_properties(${arg_NAME} PROPERTIES ${property} "${arg_${property}}")
    endif()
  endforeach()
  if(arg_TIMEOUT)
    set_tests_properties(${arg_NAME} PROPERTIES TIMEOUT ${arg_TIMEOUT})
  endif()
endfunction()
