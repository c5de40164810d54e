# CPack: `cpack -G DEB` in the build directory makes p11signd_VERSION_ARCH.deb from the install rules of
# cmake/install.cmake, with the maintainer scripts and conffiles of packaging/deb/.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME p11signd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The p11signd authors")
set(CPACK_PACKAGE_CONTACT "${P11SIGND_MAINTAINER}")  # packaging/CMakeLists.txt
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The first line is the synopsis; CPack indents the rest and turns the empty line into " .".
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "PKCS#11 signing daemon for payment and API integrations
p11signd keeps RSA keys inside an HSM reached through PKCS#11 (SoftHSM 2 or a
hardware or network HSM) and serves signatures to local applications in plain
HTTP+JSON over a Unix socket, in the exact formats payment providers expect
(myPOS, Swifood, Carat, Amazon Pay, Alipay, WeChat Pay, JWS). Keys are made or
imported non-extractable and never leave the token.

The package has the daemon, the client p11sign, hardened systemd units
(socket activation, the PIN as a credential) and drop-ins for SoftHSM, USB and
network HSMs.")
# Libraries from dpkg-shlibdeps (libc6, libstdc++6, libssl3, libboost-program-options1.74.0, libsystemd0,
# libp11-kit0 when linked); the postinst needs systemd-sysusers, the units need systemd.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd | systemd-standalone-sysusers")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "softhsm2, logrotate")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "opensc, p11-kit")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/deb/postinst ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
    ${PROJECT_SOURCE_DIR}/packaging/deb/postrm ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
