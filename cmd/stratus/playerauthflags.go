package main

import (
	"flag"

	"stratus/signaling/playerauth"
)

// addPlayerAuthFlags adds the flags that make players sign in
// (signaling.Config.PlayerAuth). The function it returns gives the config
// once the flags are parsed: nil while none is set, since players are
// anonymous by default; with some set, the config's Validate names those
// missing.
func addPlayerAuthFlags(fs *flag.FlagSet) func() *playerauth.Config {
	pa := playerauth.DefaultConfig()
	fs.StringVar(&pa.Issuer, "player-auth-issuer", "", `players must sign in with a JWT of this issuer (its "iss"), with -player-auth-audience and -player-auth-jwks (none of the three: players are anonymous)`)
	fs.StringVar(&pa.Audience, "player-auth-audience", "", `the audience ("aud") players' tokens must be for: the client ID the issuer gave the play page`)
	fs.StringVar(&pa.JWKSURL, "player-auth-jwks", "", "https URL of the issuer's signing keys (its jwks_uri)")
	return func() *playerauth.Config {
		if pa.Issuer == "" && pa.Audience == "" && pa.JWKSURL == "" {
			return nil
		}
		return &pa
	}
}
