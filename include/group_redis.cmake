# CMake snippet for libgroup_redis: defines the imported targets
#   group_redis::group_redis         (shared, libgroup_redis.so)
#   group_redis::group_redis_static  (static, libgroup_redis.a, with its system libraries)
# Use:
#   set(GROUP_REDIS_ROOT /path/to/group-redis)   # the repository after `cargo build --release`
#   include(${GROUP_REDIS_ROOT}/include/group_redis.cmake)
#   target_link_libraries(app PRIVATE group_redis::group_redis)
# GROUP_REDIS_LIBDIR and GROUP_REDIS_INCLUDEDIR override the two locations (installed copies).

if(NOT DEFINED GROUP_REDIS_INCLUDEDIR)
  set(GROUP_REDIS_INCLUDEDIR "${CMAKE_CURRENT_LIST_DIR}")
endif()
if(NOT DEFINED GROUP_REDIS_LIBDIR)
  set(GROUP_REDIS_LIBDIR "${CMAKE_CURRENT_LIST_DIR}/../target/release")
endif()

find_package(Threads REQUIRED)

if(NOT TARGET group_redis::group_redis)
  add_library(group_redis::group_redis SHARED IMPORTED)
  set_target_properties(group_redis::group_redis PROPERTIES
    IMPORTED_LOCATION "${GROUP_REDIS_LIBDIR}/libgroup_redis.so"
    INTERFACE_INCLUDE_DIRECTORIES "${GROUP_REDIS_INCLUDEDIR}")
endif()

if(NOT TARGET group_redis::group_redis_static)
  add_library(group_redis::group_redis_static STATIC IMPORTED)
  set_target_properties(group_redis::group_redis_static PROPERTIES
    IMPORTED_LOCATION "${GROUP_REDIS_LIBDIR}/libgroup_redis.a"
    INTERFACE_INCLUDE_DIRECTORIES "${GROUP_REDIS_INCLUDEDIR}"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS};m")
endif()
