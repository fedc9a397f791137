from django.urls import path

from tsuen.billing import views, views_ward

app_name = "billing"

urlpatterns = [
    path("", views.claims, name="claims"),
    path("generate/", views.generate, name="generate"),
    path("claims/<id:claim_id>/", views.claim, name="claim"),
    path("claims/<id:claim_id>/submit/", views.submit, name="submit"),
    path("claims/<id:claim_id>/correct/", views.correct, name="correct"),
    path("claims/<id:claim_id>/export/csv/", views.claim_csv, name="claim_csv"),
    path("claims/<id:claim_id>/export/pdf/", views.claim_pdf, name="claim_pdf"),
    path("statements/<int:year>/<int:month>/", views.statement, name="statement"),
    path(
        "statements/<int:year>/<int:month>/statement.pdf", views.statement_pdf, name="statement_pdf"
    ),
    # The ward's claim review (payments officer and administrator of the paying ward).
    path("ward/", views_ward.claims, name="ward_claims"),
    path("ward/export/", views_ward.export, name="ward_export"),
    path("ward/claims/<id:claim_id>/", views_ward.claim, name="ward_claim"),
    path("ward/claims/<id:claim_id>/query/", views_ward.query, name="ward_query"),
    path("ward/claims/<id:claim_id>/approve/", views_ward.approve, name="ward_approve"),
    path("ward/claims/<id:claim_id>/pay/", views_ward.pay, name="ward_pay"),
]
