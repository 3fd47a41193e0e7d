/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtop's version, for --version and the exporter's vtop_build_info.
 */
#ifndef VTOP_VERSION_H
#define VTOP_VERSION_H

#define VTOP_VERSION	"0.2"

#endif /* VTOP_VERSION_H */
