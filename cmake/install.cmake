# Every install() rule of the project, in Debian's places (GNUInstallDirs; the default prefix is /usr, see
# the top-level CMakeLists.txt, because the units name /usr/bin/p11signd). `cmake --install build` and the .deb
# (cmake/package.cmake) both install exactly this.
include(GNUInstallDirs)

set(P11SIGND_DOCDIR ${CMAKE_INSTALL_DATADIR}/doc/p11signd)
# Always /etc/p11signd, whatever the prefix: the daemon's default --config, the unit's ExecStart= and
# LoadCredential= name it (with the prefix /usr this is also GNUInstallDirs' CMAKE_INSTALL_FULL_SYSCONFDIR).
set(P11SIGND_CONFDIR /etc/p11signd)

install(TARGETS p11signd p11sign RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# systemd reads units from /usr/lib/systemd/system, sysusers.d and tmpfiles.d snippets from /usr/lib; these are
# not ${CMAKE_INSTALL_LIBDIR}, which is the multiarch directory on Debian.
install(FILES systemd/p11signd.service systemd/p11signd.socket DESTINATION lib/systemd/system)
install(FILES systemd/p11signd.sysusers.conf DESTINATION lib/sysusers.d RENAME p11signd.conf)
install(FILES systemd/p11signd.tmpfiles.conf DESTINATION lib/tmpfiles.d RENAME p11signd.conf)

# The token-kind drop-ins are not active by default: an administrator copies one to
# /etc/systemd/system/p11signd.service.d/. They live outside /usr/share/doc, which minimal images leave out.
install(DIRECTORY systemd/p11signd.service.d DESTINATION ${CMAKE_INSTALL_DATADIR}/p11signd)

# Configuration (conffiles in the .deb): a starting configuration without keys and SoftHSM's configuration for
# p11signd's own token directory. The PIN file is the administrator's; nothing installs one.
install(FILES systemd/p11signd.conf systemd/softhsm2.conf DESTINATION ${P11SIGND_CONFDIR})
# The audit log's rotation (a conffile too): the shipped configuration writes /var/log/p11signd/audit.log.
install(FILES packaging/logrotate/p11signd DESTINATION /etc/logrotate.d)

# Documentation, with the commented example naming every option.
install(FILES README.md docs/deploy.md docs/operations.md docs/configuration.md docs/client.md docs/api.md
              docs/architecture.md docs/schemes.md
        DESTINATION ${P11SIGND_DOCDIR})
# The provider pages, and their example programs beside the example configuration (the pages name
# /usr/share/doc/p11signd/examples/PROVIDER/).
install(DIRECTORY docs/providers/ DESTINATION ${P11SIGND_DOCDIR}/providers FILES_MATCHING PATTERN "*.md"
        PATTERN examples EXCLUDE)
install(DIRECTORY docs/providers/examples/ DESTINATION ${P11SIGND_DOCDIR}/examples)
install(FILES systemd/p11signd.conf.example DESTINATION ${P11SIGND_DOCDIR}/examples RENAME p11signd.conf)
install(FILES packaging/deb/copyright ${P11SIGND_DEB_CHANGELOG} DESTINATION ${P11SIGND_DOCDIR})

foreach(page IN LISTS P11SIGND_MAN_PAGES)
  string(REGEX MATCH "\\.([0-9])\\.gz$" _ "${page}")
  install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${CMAKE_MATCH_1})
endforeach()
