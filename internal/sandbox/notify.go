package sandbox

import "net/http"

func (g *gateway) notificationConfig(c *call, op s3Op, owner string) {
	g.fail(c, http.StatusNotImplemented, "NotImplemented", "notifications: not yet")
}

func (g *gateway) objectCreated(c *call, op s3Op, owner string, status int, body []byte) {}
