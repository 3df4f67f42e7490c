// Package pkgdb decodes the databases in which package managers record what is
// installed: dpkg's status file, apk's installed file and rpm's package headers.
//
// The parsers are pure functions over bytes or an io.Reader, with no file
// system or database access (package packages finds the databases on a host and
// reads rpm's SQLite store). They never fail a whole database because of one
// damaged record: they skip it, record it in a skipped.List and go on, and they
// bound line and record sizes so hostile input cannot exhaust memory.
package pkgdb

import "time"

// Package types, as found in Package.Type.
const (
	TypeDeb = "deb"
	TypeRPM = "rpm"
	TypeAPK = "apk"
)

// Package is one installed binary package.
type Package struct {
	Name string `json:"name"`
	// Version is the full version as the package manager prints and compares it:
	// dpkg "[epoch:]upstream[-revision]", rpm "[epoch:]version-release" (the
	// epoch only when it is set), apk "version-rN".
	Version string `json:"version"`
	// Epoch is the numeric epoch (0 when absent); it is also part of Version.
	Epoch        int    `json:"epoch,omitempty"`
	Architecture string `json:"arch,omitempty"`
	// Source is the source package the binary was built from (dpkg Source:, the
	// name part of rpm SOURCERPM, apk origin). It is the package's own name when
	// the database names no other source. Security advisories are keyed by it.
	Source string `json:"source"`
	// SourceVersion is the version of the source package, in the same form as
	// Version. It differs from Version for dpkg binNMUs ("+b1") and
	// "Source: name (version)" fields.
	SourceVersion string `json:"source_version"`
	Type          string `json:"type"`
	// Maintainer is the dpkg/apk maintainer or the rpm packager; Vendor the rpm
	// vendor.
	Maintainer string `json:"maintainer,omitempty"`
	Vendor     string `json:"vendor,omitempty"`
	// InstalledSize is in bytes (dpkg's Installed-Size KiB are converted).
	InstalledSize int64 `json:"installed_size,omitempty"`
	// InstallTime is when rpm installed the package; BuildTime when it was
	// built (rpm, apk). Zero when unknown.
	InstallTime time.Time `json:"install_time,omitzero"`
	BuildTime   time.Time `json:"build_time,omitzero"`
}
